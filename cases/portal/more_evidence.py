"""Send more evidence: the call to action on a Blue Badge timeline when the council asked
for it. The files are checked by content, attached to the case, and the case moves on
(`receive_evidence`, as the citizen) — all or nothing."""

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cases.errors import CaseError
from cases.models import Evidence
from cases.portal import manage, uploads
from cases.portal.apply import EVIDENCE
from cases.portal.evidence import EXTENSIONS, UploadForm, name_for
from cases.services import case_transition

TRANSITION = "receive_evidence"


def can_send_evidence(case) -> bool:
    return manage.citizen_may(case, TRANSITION)


@require_http_methods(["GET", "HEAD", "POST"])
def send_evidence(request, reference: str):
    template = "portal/manage/evidence.html"
    case = manage._case(request, reference)
    if case is None:
        return manage._to_track()
    if not can_send_evidence(case):
        return manage._to_timeline(case)
    existing = case.evidence.count()
    posted = request.method == "POST"
    form = UploadForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        rule=EVIDENCE,
        existing=existing,
        need_one=True,
        too_big=uploads.too_big(request) if posted else None,
    )
    context = {"case": case, "form": form, "existing": existing}
    if not posted:
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    saved = []
    try:
        with transaction.atomic():
            for upload, content_type in form.cleaned_data["files"]:
                evidence = Evidence(
                    case=case,
                    original_name=name_for(upload.name, content_type),
                    content_type=content_type,
                    size=upload.size,
                )
                evidence.file.save(f"evidence{EXTENSIONS[content_type]}", upload, save=False)
                assert evidence.file.name is not None  # save() has just named it
                saved.append(evidence.file.name)
                evidence.save()
            case_transition(case=case, transition=TRANSITION, actor=manage.citizen(case))
    except CaseError as exc:
        for name in saved:  # the files go with the transaction that did not happen
            default_storage.delete(name)
        form.add_error(None, str(exc))
        return render(request, template, context, status=exc.status)
    messages.success(request, _("We have your evidence. We will look at it soon."))
    return HttpResponseRedirect(reverse("portal:timeline", args=[case.process_id]))
