"""The product's URLs, plus the reference views the API is measured against:
`/bench/trivial` (an `HttpResponse`: the stack's ceiling), `/bench/write` (plain Django
doing what a step's bare minimum is: one row updated and one row inserted in a
transaction) and `/bench/read/<id>` (the floor of a logged read: the case's row by its
process ID and one access-log row, each one hand-written statement, answered as JSON)."""

import json

from django.db import connection, transaction
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


def read(request, case_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_case WHERE process_id = %s", [case_id])
        names = [column[0] for column in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
        cursor.execute(
            "INSERT INTO cases_accesslog (case_id, action, at, request_id) "
            "VALUES (%s, 'api_read', now(), '')",
            [row["id"]],
        )
    return HttpResponse(json.dumps(row, default=str), content_type="application/json")


urlpatterns = [
    path("bench/trivial", trivial),
    path("bench/write", write),
    path("bench/read/<str:case_id>", read),
    *product,
]
