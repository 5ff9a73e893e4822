"""Uploads are refused as they stream, never read whole first.

`UploadLimitMiddleware` answers 413 at once to a citizen's request whose Content-Length
is more than any page could take (15 files of 10MB). `CappedUploadHandler` (first in
FILE_UPLOAD_HANDLERS) stops keeping a file the moment it passes 10MB: the rest of it is
skipped, not buffered or written to disk, and the page says which file was too big.
The admin's own uploads (CSV batch sends) are not capped here.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.shortcuts import render

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 15
MAX_REQUEST_BYTES = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024  # the files and the form
UNCAPPED_PATHS = ("/admin/",)
SKIPPED = "_waymark_too_big"


def _capped(request) -> bool:
    return not request.path.startswith(UNCAPPED_PATHS)


def too_big(request) -> list[str]:
    """The names of the files this request sent that were too big to keep."""
    return list(getattr(request, SKIPPED, []))


class CappedUploadHandler(FileUploadHandler):
    """Skips the rest of any file of a citizen's request once it passes MAX_FILE_BYTES."""

    def receive_data_chunk(self, raw_data, start):
        if _capped(self.request) and start + len(raw_data) > MAX_FILE_BYTES:
            skipped = getattr(self.request, SKIPPED, [])
            skipped.append(self.file_name or "file")
            setattr(self.request, SKIPPED, skipped)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler keeps the file


class UploadLimitMiddleware:
    """A request too big for any page of the portal is refused before it is read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_REQUEST_BYTES and _capped(request):
            response = render(request, "portal/too_large.html", status=413)
            response["Connection"] = "close"  # do not wait for the rest of the body
            return response
        return self.get_response(request)
