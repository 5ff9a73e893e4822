"""The Open311 methods: thin. Each reads the council (`jurisdiction_id`), asks
`cases.open311.reads` or `cases.open311.submissions`, and answers with a tree from
`cases.open311.representations` in the format its address asks for."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import Http404, HttpResponseBase, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt

from cases import process_id
from cases.audit import record_access
from cases.links import media_link_evidence
from cases.models import AccessLog, Evidence, Service
from cases.open311 import params, reads, representations, submissions
from cases.open311.errors import Open311Error, bad_request, error_response, not_found
from cases.open311.models import Open311Submission
from cases.open311.render import Document, format_of, respond
from cases.open311.statuses import CLOSED, OPEN, states_with
from cases.portal.evidence import IMAGES, file_response

logger = logging.getLogger(__name__)

SERVER_ERROR = "Something went wrong on our side"
UNREADABLE = (BadRequest, SuspiciousOperation, MultiPartParserError, UnreadablePostError)


def open311(*methods: str) -> Callable:
    """An Open311 method: answered in English, in the format its address asks for (`fmt`,
    or else its suffix), with every refusal as `<errors>` — a failure of ours too (500,
    logged). POSTs are authenticated by their api_key, not a session: no CSRF token."""
    allowed = sorted({*methods, "HEAD"} if "GET" in methods else set(methods))

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def run(request, *args, fmt: str | None = None, **kwargs):
            fmt = fmt or format_of(request.path)
            with translation.override("en"):
                try:
                    if request.method not in allowed:
                        raise Open311Error(
                            405,
                            f"This address takes {' and '.join(methods)} only",
                            headers={"Allow": ", ".join(allowed)},
                        )
                    refuse_nul(request)
                    answer = view(request, *args, **kwargs)
                    if isinstance(answer, HttpResponseBase):
                        return answer
                    return respond(answer, fmt)
                except Open311Error as error:
                    return error_response(error, fmt)
                except Http404 as exc:
                    return error_response(not_found(str(exc) or "Not found"), fmt)
                except UNREADABLE:
                    return error_response(bad_request("The request's body could not be read"), fmt)
                except Exception:
                    logger.exception("Open311 request failed", extra={"path": request.path})
                    return error_response(Open311Error(500, SERVER_ERROR), fmt)

        return csrf_exempt(run)

    return decorate


def refuse_nul(request) -> None:
    """A NUL is never meant, and PostgreSQL refuses it in text (the address's own are
    refused by `config.security.NullCharacterMiddleware`)."""
    sources = [request.GET, request.POST] if request.method == "POST" else [request.GET]
    for source in sources:
        for name, values in source.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                raise bad_request(
                    f"{name.replace(chr(0), '')[:100]}: remove the character that is not "
                    "text (a NUL)"
                )


@open311("GET")
def discovery(request) -> Document:
    return representations.discovery()


@open311("GET")
def service_list(request) -> Document:
    params.council_for(request)
    return representations.service_list()


@open311("GET")
def service_definition(request, code: str) -> Document:
    council = params.council_for(request)
    if code not in representations.SERVICE_NAMES:
        raise not_found(f"service_code: {code[:100]} is not a service of {council.name}")
    return representations.service_definition(code)


@open311("GET", "POST")
def service_requests(request) -> Document:
    if request.method == "POST":
        return representations.created(submissions.submit(request))
    council = params.council_for(request)
    found = reads.reports(council)
    ids = params.listed(request, "service_request_id")
    if ids:  # overrides every other parameter (the spec's rule)
        if len(ids) > params.PAGE_SIZE:
            raise bad_request(f"service_request_id: at most {params.PAGE_SIZE} IDs")
        found = found.filter(process_id__in=[process_id.normalise(i)[:32] for i in ids])
        page = params.Page(1, params.PAGE_SIZE)
    else:
        found = filtered(request, found)
        page = params.page(request)
    cases = list(found.order_by("-created_at", "-pk")[page.offset : page.offset + page.size])
    return representations.request_list(reads.described(council, cases), now=timezone.now())


def filtered(request, found):
    """The reports the list's parameters choose: by service, status and dates."""
    codes = params.listed(request, "service_code")
    unknown = [code for code in codes if code not in representations.SERVICE_NAMES]
    if unknown:
        raise not_found(f"service_code: {unknown[0][:100]} is not a service here")
    if codes:
        found = found.filter(answers__issue_type__in=codes)
    statuses = params.listed(request, "status")
    if set(statuses) - {OPEN, CLOSED}:
        raise bad_request("status: open, closed, or both (open,closed)")
    if statuses:
        found = found.filter(state__in=[s for status in statuses for s in states_with(status)])
    after = params.moment(request, "updated_after")
    before = params.moment(request, "updated_before")
    dates = params.window(request, default=after is None and before is None)
    if dates is not None:
        found = found.filter(created_at__gte=dates.start, created_at__lte=dates.end)
    if after is not None:
        found = found.filter(last_public_at__gt=after)
    if before is not None:
        found = found.filter(last_public_at__lt=before)
    return found


@open311("GET")
def service_request(request, request_id: str) -> Document:
    council = params.council_for(request)
    case = reads.reports(council).filter(process_id=process_id.normalise(request_id)[:32]).first()
    if case is None:
        raise not_found("service_request_id: there is no street report here with that ID")
    return representations.request_list(reads.described(council, [case]), now=timezone.now())


@open311("GET")
def token(request, token: str) -> Document:
    """Waymark is realtime: a report's token is its service_request_id, issued when the
    report was made through Open311."""
    council = params.council_for(request)
    submission = (
        Open311Submission.objects.filter(
            organisation=council, case__process_id=process_id.normalise(token)[:32]
        )
        .select_related("case")
        .first()
    )
    if submission is None:
        raise not_found("token: this endpoint never issued it")
    return representations.token_answer(submission.case.process_id)


@open311("GET")
def service_request_updates(request) -> Document:
    """The mySociety extension FixMyStreet follows reports with: public events in a window."""
    council = params.council_for(request)
    dates = params.window(request)
    assert dates is not None  # a window with its default is never None
    page = params.page(request)
    events = reads.updates(council).filter(created_at__gte=dates.start, created_at__lte=dates.end)
    return representations.update_list(list(events[page.offset : page.offset + page.size]))


@open311("GET")
def media(request, token: str):
    """A report's photo, by the signed link an answer gave (`cases.links.media_link`)."""
    pk = media_link_evidence(token)
    photo = (
        Evidence.objects.filter(
            pk=pk, case__service=Service.STREET_REPORT, content_type__in=IMAGES
        ).first()
        if pk is not None
        else None
    )
    if photo is None:
        raise not_found("This link to a photo is not valid, or it has expired")
    response = file_response(photo, inline=True)
    record_access(request, [photo.case_id], AccessLog.Action.DOWNLOADED)
    return response


@csrf_exempt
def unknown(request, *args, **kwargs):
    return error_response(
        not_found("There is no Open311 method at this address"), format_of(request.path)
    )
