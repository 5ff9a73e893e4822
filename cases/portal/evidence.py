"""Files citizens upload: checked by what they contain (never by their name), kept under
drafts/<journey>/ in the default storage while the application is in progress, and copied
to evidence/ as `Evidence` rows when it is sent. Only caseworkers download them (see
cases.admin.evidence). The folders of journeys left unfinished are deleted by a daily job
(`delete_abandoned_uploads`).
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.models import Case, Draft, Evidence
from cases.portal import uploads
from cases.portal.drafts import Journey, Step, question_render, save_for_later

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
# The first bytes of each type we accept, and the extension we store it under.
SIGNATURES = (
    (b"%PDF-", PDF, ".pdf"),
    (b"\xff\xd8\xff", JPEG, ".jpg"),
    (b"\x89PNG\r\n\x1a\n", PNG, ".png"),
)
NAMED = {".pdf": PDF, ".jpg": JPEG, ".jpeg": JPEG, ".png": PNG}
KINDS = {PDF: "PDF", JPEG: "JPG", PNG: "PNG"}
EXTENSIONS = {content_type: extension for _sig, content_type, extension in SIGNATURES}


@dataclass(frozen=True)
class FileRule:
    """What a file page accepts: content types (checked by content), how many, how big."""

    types: tuple[str, ...]
    types_text: StrOrPromise  # for messages: "a PDF, JPG or PNG"
    max_files: int
    too_many: StrOrPromise
    max_bytes: int = uploads.MAX_FILE_BYTES
    required: bool = False


def sniff(upload) -> str | None:
    """The content type the file's first bytes show (PDF, JPEG or PNG), or None."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    return next((ctype for sig, ctype, _ext in SIGNATURES if head.startswith(sig)), None)


def claimed_type(name: str) -> str | None:
    """The type the file's name claims (by its extension), if it is one we know."""
    return NAMED.get(posixpath.splitext((name or "").lower())[1])


def display_name(name: str) -> str:
    """The file's own name without any folders, as the citizen will recognise it."""
    base = posixpath.basename((name or "").replace("\\", "/")).strip()
    return base[-255:] or "file"


IMAGES = (JPEG, PNG)  # shown in the page as well as downloaded


def file_response(evidence: Evidence, *, inline: bool) -> FileResponse:
    """The stored file: a photo shown in the page (`inline`), anything else downloaded with
    the name the citizen gave it (see `name_for`; no control characters, which a header
    cannot hold). 404 if storage has lost it."""
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError:
        raise Http404("No such file") from None
    name = name_for(evidence.original_name, evidence.content_type)
    response = FileResponse(
        handle,
        as_attachment=not (inline and evidence.content_type in IMAGES),
        filename="".join(c if c.isprintable() else "_" for c in name) or "file",
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def name_for(name: str, content_type: str) -> str:
    """The file's name with the extension of what it really is: `x.html` holding a PDF is
    kept (and downloaded) as `x.pdf`."""
    base = display_name(name)
    stem, extension = posixpath.splitext(base)
    if NAMED.get(extension.lower()) == content_type or content_type not in EXTENSIONS:
        return base
    return (stem.strip() or "file")[:250] + EXTENSIONS[content_type]


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.Field):
    widget = MultipleFileInput

    def to_python(self, data):
        if data is None:
            return []
        return [f for f in (data if isinstance(data, list | tuple) else [data]) if f]


class UploadForm(forms.Form):
    """Checks the files chosen in one go: their number, size and content."""

    # The metaclass moves declared fields into `base_fields`, so this does not clash with
    # the uploaded data BaseForm keeps in its `files` instance attribute.
    files = MultipleFileField(required=False)  # type: ignore[assignment]

    def __init__(
        self,
        *args,
        rule: FileRule,
        existing: int = 0,
        need_one=False,
        too_big: list[str] | None = None,
        **kwargs,
    ):
        self.rule, self.existing, self.need_one = rule, existing, need_one
        self.too_big = too_big or []  # files skipped as they streamed (uploads.py)
        super().__init__(*args, **kwargs)

    def clean_files(self) -> list[tuple]:
        uploads = self.cleaned_data["files"]
        rule = self.rule
        size = f"{rule.max_bytes // (1024 * 1024)}MB"
        if self.too_big:
            one = len(self.too_big) == 1 and not uploads
            raise ValidationError(
                [
                    (
                        _("The selected file must be smaller than %(size)s")
                        if one
                        else _("%(file)s must be smaller than %(size)s")
                    )
                    % {"file": display_name(name), "size": size}
                    for name in self.too_big
                ]
            )
        if not uploads:
            if self.need_one:
                raise ValidationError(_("Select a file to upload"))
            return []
        if self.existing + len(uploads) > rule.max_files:
            raise ValidationError(rule.too_many)
        errors, checked = [], []
        one = len(uploads) == 1  # with several files, each message names its file
        for upload in uploads:
            values = {"file": display_name(upload.name), "size": size, "types": rule.types_text}
            content_type = sniff(upload) if upload.size else None
            claimed = claimed_type(upload.name)  # a .pdf name on a PNG is refused too
            if not upload.size:
                message = _("The selected file is empty") if one else _("%(file)s is empty")
            elif upload.size > rule.max_bytes:
                message = (
                    _("The selected file must be smaller than %(size)s")
                    if one
                    else _("%(file)s must be smaller than %(size)s")
                )
            elif content_type not in rule.types or claimed not in (None, content_type):
                message = (
                    _("The selected file must be %(types)s")
                    if one
                    else _("%(file)s must be %(types)s")
                )
            else:
                checked.append((upload, content_type))
                continue
            errors.append(message % values)
        if errors:
            raise ValidationError(errors)
        return checked


def store(upload, content_type: str, folder: str) -> dict:
    """Saves an upload under drafts/<folder>/ with a name of our own; returns its record."""
    file_id = uuid.uuid4().hex
    path = default_storage.save(
        f"drafts/{folder}/{file_id}{EXTENSIONS[content_type]}", File(upload)
    )
    return {
        "id": file_id,
        "path": path,
        "name": name_for(upload.name, content_type),
        "content_type": content_type,
        "size": upload.size,
    }


def discard(files: list[dict]) -> None:
    for record in files:
        default_storage.delete(record["path"])


def still_stored(files: list[dict]) -> list[dict]:
    return [record for record in files if default_storage.exists(record["path"])]


def delete_abandoned_uploads(older_than: timedelta, now: datetime | None = None) -> int:
    """Deletes the upload folders (drafts/<journey>/) of journeys left in a session: not
    saved as a draft, and with nothing uploaded for `older_than`. (Sending a journey
    deletes its files but can leave the empty folder, which goes too.) Returns how many."""
    cutoff = (now or timezone.now()) - older_than
    try:
        folders, _files = default_storage.listdir("drafts")
    except FileNotFoundError:
        return 0
    journeys = {}
    for folder in folders:
        try:
            journeys[folder] = uuid.UUID(hex=folder)
        except ValueError:
            continue  # not a journey's folder: not ours to delete
    saved = {
        token.hex
        for token in Draft.objects.filter(token__in=journeys.values()).values_list(
            "token", flat=True
        )
    }
    deleted = 0
    for folder in journeys:
        if folder in saved:
            continue  # a draft's files live as long as the draft (drafts_delete_expired)
        path = f"drafts/{folder}"
        names = [f"{path}/{name}" for name in default_storage.listdir(path)[1]]
        if _touched_since(names or [path], cutoff):
            continue
        for name in names:
            default_storage.delete(name)
        _remove_empty_folder(path)
        deleted += 1
    return deleted


def _touched_since(names: list[str], cutoff: datetime) -> bool:
    for name in names:
        with contextlib.suppress(FileNotFoundError):  # removed meanwhile: not a sign of use
            if default_storage.get_modified_time(name) > cutoff:
                return True
    return False


def _remove_empty_folder(path: str) -> None:
    """Local storage keeps empty folders; a storage without folders (S3) has none to remove."""
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(path))


def attach(case: Case, files: list[dict]) -> list[Evidence]:
    """Copies the journey's files to the case as Evidence (all of them, or none)."""
    created, saved_names = [], []
    try:
        for record in files:
            evidence = Evidence(
                case=case,
                original_name=record["name"],
                content_type=record["content_type"],
                size=record["size"],
            )
            with default_storage.open(record["path"], "rb") as handle:
                evidence.file.save(posixpath.basename(record["path"]), File(handle), save=False)
            assert evidence.file.name is not None  # save() has just named it
            saved_names.append(evidence.file.name)
            evidence.save()
            created.append(evidence)
    except Exception:
        for name in saved_names:
            default_storage.delete(name)
        raise
    return created


def files_page(request, journey: Journey, step: Step) -> HttpResponse:
    """A page that takes files: each upload adds to the list; each file can be removed."""
    rule = step.files
    assert rule is not None  # question_page sends only the file pages here
    status = 200
    if request.method == "POST" and "remove" in request.POST:
        remove = request.POST["remove"]
        gone = [f for f in journey.files if f["id"] == remove]
        discard(gone)
        journey.data["files"] = [f for f in journey.files if f["id"] != remove]
        journey.save()
        if rule.required and not journey.files:
            journey.unanswer(step.slug)
        return HttpResponseRedirect(request.path)
    if request.method == "POST":
        action = request.POST.get("action", "upload")
        saving = journey.flow.drafts and action == "save"
        form = UploadForm(
            request.POST,
            request.FILES,
            rule=rule,
            existing=len(journey.files),
            need_one=action == "upload"
            or (action == "continue" and rule.required and not journey.files),
            too_big=uploads.too_big(request),
        )
        if form.is_valid():
            for upload, content_type in form.cleaned_data["files"]:
                journey.files.append(store(upload, content_type, journey.id))
            journey.save()
            if action == "continue":
                journey.answer(step.slug, {})
                return HttpResponseRedirect(journey.next_url())
            if not saving:  # back to the page, which lists the new files
                return HttpResponseRedirect(request.path)
        if saving:
            return save_for_later(journey)
        status = 400
    else:
        form = UploadForm(rule=rule, existing=len(journey.files))
    rows = [
        {
            "key": record["name"],
            "lines": [f"{KINDS[record['content_type']]}, {filesizeformat(record['size'])}"],
            "remove": record["id"],
            "remove_url": request.path,
            "hidden": record["name"],
        }
        for record in journey.files
    ]
    room = rule.max_files - len(journey.files)
    return question_render(request, journey, step, form, status, rows=rows, room=room)
