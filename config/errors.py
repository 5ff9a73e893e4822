"""The server error page. While the database cannot be reached (it is restarting, a
failover, too many connections) the answer is 503 "the service is unavailable" with
`Retry-After`, not 500: nothing was written, and trying again shortly will work. Under
/api/ the same status is a problem (`cases.api.errors.ProblemMiddleware`)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views import defaults

RETRY_AFTER_SECONDS = 30


def server_error(request):
    """`handler500`: Django calls it while handling the exception, so it is in hand."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        page = loader.render_to_string("503.html")  # no request: it needs nothing stored
        return HttpResponse(page, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    return defaults.server_error(request)
