from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Success

from config.health import HEARTBEAT_TASK
from config.tasks import heartbeat
from tests.helpers import run_manage

pytestmark = pytest.mark.django_db


def record_heartbeat(at):
    Success.objects.create(
        id="a" * 32,
        name="heartbeat",
        func=HEARTBEAT_TASK,
        started=at,
        stopped=at,
        success=True,
        result=heartbeat(),
    )


def test_healthy_when_database_answers_and_worker_was_seen(client):
    record_heartbeat(timezone.now() - timedelta(seconds=30))

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["worker"]["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


def test_unavailable_when_no_worker_has_been_seen(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["worker"]["ok"] is False


def test_unavailable_when_the_worker_heartbeat_is_stale(client, settings):
    settings.HEALTH_WORKER_MAX_AGE = 120
    record_heartbeat(timezone.now() - timedelta(seconds=121))

    response = client.get("/healthz")

    assert response.status_code == 503
    assert "120 seconds" in response.json()["checks"]["worker"]["error"]


def test_health_only_answers_get(client):
    assert client.post("/healthz").status_code == 405


def test_heartbeat_schedule_is_installed_by_migrate():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(func=HEARTBEAT_TASK)
    assert schedule.schedule_type == Schedule.MINUTES
    assert schedule.minutes == 1
    assert schedule.repeats == -1


CALL_HEALTH = """
from django.test import Client
response = Client(HTTP_HOST="localhost").get("/healthz")
print(response.status_code)
print(response.content.decode())
"""


@pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("postgres://waymark:waymark@127.0.0.1:1/waymark", id="postgresql-refused"),
        pytest.param("sqlite:////nonexistent-directory/waymark.sqlite3", id="sqlite-unopenable"),
    ],
)
def test_unavailable_when_the_database_is_unreachable(database_url):
    """A real unreachable database, in a separate process: no mocking of the check."""
    result = run_manage("shell", "-c", CALL_HEALTH, env={"DATABASE_URL": database_url})

    assert result.returncode == 0, result.stderr
    status, body = result.stdout.strip().splitlines()[-2:]
    assert status == "503"
    assert '"database": {"ok": false' in body
    assert "unreachable" in body


def test_the_api_root_points_to_its_versions_and_their_documentation(client):
    response = client.get("/api/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json() == {"versions": {"1": "http://testserver/api/v1/"}}
    v1 = client.get("/api/v1/").json()
    assert v1["schema"] == "http://testserver/api/v1/schema/"
    assert v1["documentation"] == "http://testserver/api/v1/docs/"
    for url in (v1["schema"], v1["documentation"], "/api/v1/docs/swagger/"):
        assert client.get(url).status_code == 200, url
