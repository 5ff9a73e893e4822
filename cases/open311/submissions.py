"""A street report made through Open311 (`POST requests`).

The council's API key (`api_key`, with `cases:write`) says whose report it is. What the
client sends is mapped onto the street report's own form and opened with
`cases.services.case_create`, as the citizen's pages and the partner API open one, so the
same rules refuse the same mistakes; its photos pass the portal's checks on uploads. A
client's `attribute[fixmystreet_id]` makes one report per key and ID: a retry, even one
that arrives while the first is still being saved, is answered with the first report's ID.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils.datastructures import MultiValueDict

from cases import services
from cases.actors import Actor
from cases.api import keys
from cases.api.auth import key_throttled
from cases.errors import CaseError, CaseValidationError
from cases.models import ApiKey, Evidence, Organisation, Service
from cases.open311.errors import Open311Error, bad_request, forbidden, not_found
from cases.open311.models import Open311Submission
from cases.open311.params import council_for, given
from cases.open311.representations import SERVICE_NAMES
from cases.portal import evidence, uploads
from cases.portal.evidence import JPEG, PDF, PNG, FileRule, UploadForm
from cases.portal.report import PHOTO
from cases.validators import normalise_postcode

ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,100})\](\[\])?$")
PHOTO_PART = re.compile(r"^photo([0-9]{1,3})$")
_DECIMAL = re.compile(r"^[+-]?([0-9]{1,3}(\.[0-9]{0,20})?|\.[0-9]{1,20})$")
NOT_GIVEN = "Not given"  # the reporter's name, when the client sends none
MAX_MEDIA_URLS = uploads.MAX_FILES

# FixMyStreet sends a report's photos as photo1..N, and other files as file_*.
PHOTOS = FileRule(
    types=PHOTO.types,
    types_text=PHOTO.types_text,
    max_files=uploads.MAX_FILES,
    too_many=f"Send at most {uploads.MAX_FILES} photos",
)
FILES = FileRule(
    types=(PDF, JPEG, PNG),
    types_text="a PDF, JPG or PNG",
    max_files=uploads.MAX_FILES,
    too_many=f"Send at most {uploads.MAX_FILES} files",
)

# The parameter each field of the street report's form comes from (for its errors).
SENT_AS = {
    "answers.issue_type": "service_code",
    "answers.location": "address_string",
    "answers.location_postcode": "address_string",
    "answers.latitude": "lat",
    "answers.longitude": "long",
    "answers.description": "description",
    "applicant_name": "first_name, last_name",
    "email": "email",
    "phone": "phone",
}


def submit(request) -> str:
    """The ID of the report the POST made, or of the one this key already sent with its
    `fixmystreet_id` (whatever else the retry carries)."""
    key = key_for(request)
    council = council_of(request, key)
    throttle(key)
    sent_attributes = attributes(request)
    fixmystreet_id = client_id(sent_attributes)
    first = earlier(council, key, fixmystreet_id)
    if first is not None:
        return first.case.process_id
    code = service_code(request, council)
    return create(key, council, read(request, code, sent_attributes, fixmystreet_id))


# --- Who is sending ------------------------------------------------------------------


def key_for(request) -> ApiKey:
    """The council's key in `api_key`: usable, with `cases:write`, for street reports."""
    text = given(request, "api_key")
    if not text:
        raise forbidden("api_key: missing: send the council's API key")
    key = keys.verified(text)
    if key is None:
        raise forbidden("api_key: not valid: it may be wrong, revoked or expired")
    if ApiKey.Scope.WRITE not in key.scopes:
        raise forbidden("api_key: this key does not have the cases:write scope")
    if key.service and key.service != Service.STREET_REPORT:
        raise forbidden(f"api_key: this key is only for {key.get_service_display()}")
    return key


def council_of(request, key: ApiKey) -> Organisation:
    """The key's council; `jurisdiction_id`, if sent, must name that council."""
    if not given(request, "jurisdiction_id"):
        return key.organisation
    council = council_for(request)
    if council.pk != key.organisation_id:
        raise forbidden("api_key: this key is for another council than jurisdiction_id")
    return council


def throttle(key: ApiKey) -> None:
    """The key's requests a minute (API_REQUESTS_PER_MINUTE), counted with its API calls."""
    wait = key_throttled(key)
    if wait is not None:
        raise Open311Error(
            429,
            f"api_key: too many requests with this key: try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )


def actor(key: ApiKey) -> Actor:
    return Actor.partner(key.organisation, f"Open311: API key {key.name} ({key.display_prefix})")


# --- What was sent ---------------------------------------------------------------------


@dataclass
class Sent:
    """A POST mapped onto the street report: what `case_create` takes, the files, and what
    the submission keeps of the rest."""

    applicant: dict[str, str]
    answers: dict[str, Any]
    files: list[tuple[Any, str]]
    submission: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)


def attributes(request) -> dict[str, Any]:
    """Every `attribute[code]` (its last value) and `attribute[code][]` (all of them)."""
    found: dict[str, Any] = {}
    for name in request.POST:
        match = ATTRIBUTE.match(name)
        if match is None:
            continue
        values = [v.strip() for v in request.POST.getlist(name)]
        found[match.group(1)] = values if match.group(2) else values[-1]
    return found


def text_of(value: Any) -> str:
    return " ".join(value).strip() if isinstance(value, list) else str(value or "").strip()


def client_id(attributes: dict[str, Any]) -> str:
    value = text_of(attributes.get("fixmystreet_id"))
    if len(value) > 100:
        raise bad_request("attribute[fixmystreet_id]: at most 100 characters")
    return value


def earlier(council: Organisation, key: ApiKey, fixmystreet_id: str) -> Open311Submission | None:
    """The report this key already sent with this `fixmystreet_id`, if any."""
    if not fixmystreet_id:
        return None
    return (
        Open311Submission.objects.filter(
            organisation=council, api_key=key, fixmystreet_id=fixmystreet_id
        )
        .select_related("case")
        .first()
    )


def service_code(request, council: Organisation) -> str:
    code = given(request, "service_code")
    if not code:
        raise bad_request("service_code: missing: send the code of one of services.xml")
    offered = council.service_configs.filter(service=Service.STREET_REPORT, enabled=True)
    if code not in SERVICE_NAMES or not offered.exists():
        raise not_found(f"service_code: {code[:100]} is not a service of {council.name}")
    return code


def read(request, code: str, attributes: dict[str, Any], fixmystreet_id: str) -> Sent:
    """Everything else the POST carries, each mistake named by its parameter."""
    answers, sources = location(request, attributes)
    answers.update(issue_type=code, description=given(request, "description"))
    return Sent(
        applicant=applicant(request),
        answers=answers,
        files=photos(request),
        submission={
            "fixmystreet_id": fixmystreet_id,
            "device_id": _short(request, "device_id") or _short(request, "deviceid"),
            "account_id": _short(request, "account_id"),
            "media_urls": media_urls(request),
            "attributes": attributes,
        },
        sources={**SENT_AS, **sources},
    )


def location(request, attributes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Where the problem is: the pin (`lat`, `long`) and the words for it (`address_string`,
    else FixMyStreet's `attribute[closest_address]`, else the pin written out)."""
    latitude, longitude = given(request, "lat"), given(request, "long")
    answers: dict[str, Any] = {}
    if latitude or longitude:
        if not (latitude and longitude):
            raise bad_request("lat, long: send both, or address_string")
        answers["latitude"] = _coordinate("lat", latitude)
        answers["longitude"] = _coordinate("long", longitude)
    address = " ".join(given(request, "address_string").split())
    closest = " ".join(text_of(attributes.get("closest_address")).split())
    if address:
        answers["location"] = address
        with contextlib.suppress(ValidationError):  # words, not a postcode
            answers["location_postcode"] = normalise_postcode(address)
        return answers, {}
    if closest:
        answers["location"] = closest
        return answers, {"answers.location": "attribute[closest_address]"}
    if answers:
        answers["location"] = f"{answers['latitude']}, {answers['longitude']}"
        return answers, {"answers.location": "lat, long"}
    raise bad_request("lat, long, address_string: send where the problem is")


def _coordinate(name: str, text: str) -> float:
    """A WGS84 coordinate, to the 6 decimal places the street report keeps (about 10 cm)."""
    if not _DECIMAL.match(text):
        raise bad_request(f"{name}: give a number of degrees, like 51.501009")
    return round(float(text), 6)


def applicant(request) -> dict[str, str]:
    """The reporter, as the street report's form takes them. They are sent the report's
    messages by email when the client gives an email address; otherwise by no channel."""
    first, last = given(request, "first_name"), given(request, "last_name")
    name = " ".join(part for part in (first, last) if part and part != "-") or NOT_GIVEN
    email = given(request, "email")
    if len(name) > 200:
        raise bad_request("first_name, last_name: at most 200 characters together")
    if len(email) > 254:
        raise bad_request("email: at most 254 characters")
    return {
        "applicant_name": name,
        "email": email,
        "phone": given(request, "phone"),
        "contact_preference": "email" if email else "none",
    }


def _short(request, name: str) -> str:
    value = given(request, name)
    if len(value) > 200:
        raise bad_request(f"{name}: at most 200 characters")
    return value


def media_urls(request) -> list[str]:
    """The links to the report's photos the client keeps itself (`media_url`, repeatable)."""
    sent = request.POST.getlist("media_url") or request.GET.getlist("media_url")
    links = list(dict.fromkeys(link.strip() for link in sent if link.strip()))
    if len(links) > MAX_MEDIA_URLS:
        raise bad_request(f"media_url: at most {MAX_MEDIA_URLS}")
    check = URLValidator(schemes=["http", "https"])
    for link in links:
        try:
            check(link)
        except ValidationError:
            raise bad_request("media_url: give an http or https address") from None
    return links


def photos(request) -> list[tuple[Any, str]]:
    """The files of a multipart POST (`photo1..N`, `file_*`), checked by their content as
    the portal checks a report's photo; with their content types."""
    numbered = sorted(
        (int(match.group(1)), name)
        for name in request.FILES
        if (match := PHOTO_PART.match(name)) is not None
    )
    pictures = [upload for _n, name in numbered for upload in request.FILES.getlist(name)]
    others = [
        upload
        for name in sorted(request.FILES)
        if name.startswith("file_")
        for upload in request.FILES.getlist(name)
    ]
    # A file past the size limit was skipped as it streamed (`uploads.CappedUploadHandler`),
    # which knows its name but not its part.
    _checked([], PHOTOS, "photo, file", uploads.too_big(request))
    return _checked(pictures, PHOTOS, "photo", []) + _checked(others, FILES, "file", [])


def _checked(files: list, rule: FileRule, name: str, too_big: list[str]) -> list[tuple]:
    if not files and not too_big:
        return []
    form = UploadForm(data={}, files=MultiValueDict({"files": files}), rule=rule, too_big=too_big)
    if not form.is_valid():
        raise bad_request(*(f"{name}: {message}" for message in form.errors["files"]))
    return form.cleaned_data["files"]


# --- Opening the report ----------------------------------------------------------------


def create(key: ApiKey, council: Organisation, sent: Sent) -> str:
    """Opens the report, its files and its submission in one transaction; returns its ID.
    Two POSTs with one `fixmystreet_id` at once: the second waits on the first's row and
    is then refused by the unique constraint, rolls back and answers with the first's ID."""
    folder = uuid.uuid4().hex
    stored = [evidence.store(upload, ctype, folder) for upload, ctype in sent.files]
    attached: list[Evidence] = []
    try:
        with transaction.atomic():
            case = services.case_create(
                organisation=council,
                service=Service.STREET_REPORT,
                applicant=sent.applicant,
                answers=sent.answers,
                actor=actor(key),
            )
            attached = evidence.attach(case, stored)
            Open311Submission.objects.create(
                case=case, organisation=council, api_key=key, **sent.submission
            )
    except IntegrityError:
        _delete(attached)
        first = earlier(council, key, sent.submission["fixmystreet_id"])
        if first is None:
            raise
        return first.case.process_id
    except CaseValidationError as exc:
        raise bad_request(
            *(
                f"{sent.sources.get(name, name)}: {message}"
                for name, messages in exc.errors.items()
                for message in messages
            )
        ) from None
    except CaseError as exc:
        raise bad_request(str(exc)) from None
    except BaseException:
        _delete(attached)
        raise
    finally:
        evidence.discard(stored)
    return case.process_id


def _delete(attached: list[Evidence]) -> None:
    """The copies a rolled-back report made of its files (its rows went with it)."""
    for item in attached:
        if item.file.name:
            default_storage.delete(item.file.name)
