"""The page for a form whose CSRF check failed (settings.CSRF_FAILURE_VIEW): most often a
page left open until its session ended, or a browser that refuses cookies. It says the page
has expired and sends the person back to it, on the 403 page's template, instead of
Django's plain "CSRF verification failed"."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Every form posts to the page it is on, so that page (fetched afresh) is where to go
    # back to. Django has logged the reason already.
    context = {"expired": True, "back_url": request.path}
    return render(request, "403.html", context, status=403)
