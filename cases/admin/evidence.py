"""Caseworkers' access to the files citizens sent with an application or report: a
read-only list on the case page, and a download for members of the case's council.

The files are never served from a public URL: the download is an admin page (staff only,
two-factor where it is on) that answers 404 for a file of another council's case.
"""

from django.contrib import admin
from django.contrib.admin.utils import flatten
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_safe

from cases.admin.scoping import MemberReadOnlyInline, councils_of
from cases.audit import record_access
from cases.models import AccessLog, Evidence
from cases.portal.evidence import IMAGES, KINDS, file_response
from cases.ukdates import long_datetime


class EvidenceInline(MemberReadOnlyInline):
    model = Evidence
    show_change_link = False  # no page of its own: the download is the way in
    fields = ["file_name", "file_type", "file_size", "uploaded", "download"]
    readonly_fields = flatten(fields)

    @admin.display(description="uploaded")
    def uploaded(self, evidence):
        return long_datetime(evidence.created_at)

    @admin.display(description="file name")
    def file_name(self, evidence):
        return evidence.original_name

    @admin.display(description="type")
    def file_type(self, evidence):
        return KINDS.get(evidence.content_type, evidence.content_type)

    @admin.display(description="size")
    def file_size(self, evidence):
        return filesizeformat(evidence.size)

    @admin.display(description="file")
    def download(self, evidence):
        if evidence.pk is None:
            return "–"
        url = reverse("admin:cases_evidence_download", args=[evidence.pk])
        link = format_html(
            '<a href="{}">Download<span class="visually-hidden"> {}</span></a>',
            url,
            evidence.original_name,
        )
        if evidence.content_type not in IMAGES:
            return link
        return format_html(
            '{}<img class="waymark-thumbnail" src="{}?inline=1" alt="The photo {}">',
            link,
            url,
            evidence.original_name,
        )


@require_safe
def download_view(request, pk: int):
    """The file, as an attachment with the name the citizen gave it (its extension that
    of the type its content was checked to be), or a photo shown in the page
    (`?inline=1`); 404 unless the case is one of the user's councils' (every council for a
    national administrator)."""
    files = Evidence.objects.all()
    councils = councils_of(request.user)
    if councils is not None:
        files = files.filter(case__organisation__in=councils)
    evidence = files.filter(pk=pk).first()
    if evidence is None:
        raise Http404("No such file")
    shown = request.GET.get("inline") == "1" and evidence.content_type in IMAGES
    response = file_response(evidence, inline=shown)
    action = AccessLog.Action.VIEWED if shown else AccessLog.Action.DOWNLOADED
    record_access(request, [evidence.case_id], action)
    return response


def download_path(admin_site):
    """The URL, for CaseAdmin.get_urls: /admin/cases/case/evidence/<pk>/download/."""
    return path(
        "evidence/<int:pk>/download/",
        admin_site.admin_view(download_view),
        name="cases_evidence_download",
    )
