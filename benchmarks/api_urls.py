"""The product's URLs, plus the two reference views the API is measured against:
`/bench/trivial` (an `HttpResponse`: the stack's ceiling) and `/bench/write` (plain
Django doing what a step's bare minimum is: one row updated and one row inserted in a
transaction)."""

from django.db import transaction
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from cases.models import AccessLog, Case
from config.urls import urlpatterns as product


def trivial(request):
    return HttpResponse("ok")


@csrf_exempt
def write(request):
    pk = int(request.GET["case"])
    with transaction.atomic():
        Case.objects.filter(pk=pk).update(updated_at=timezone.now())
        AccessLog.objects.create(case_id=pk, action=AccessLog.Action.VIEWED)
    return HttpResponse("ok")


urlpatterns = [path("bench/trivial", trivial), path("bench/write", write), *product]
