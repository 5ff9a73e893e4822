import json
import logging

import pytest

from config.logging import JSONFormatter, RequestIDFilter

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id(client):
    first = client.get("/")
    second = client.get("/")
    assert len(first["X-Request-ID"]) == 32
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_plain_caller_request_id_is_kept_and_a_forged_one_replaced(client):
    kept = client.get("/", headers={"X-Request-ID": "partner-abc-123"})
    assert kept["X-Request-ID"] == "partner-abc-123"
    forged = client.get("/", headers={"X-Request-ID": 'x"\n{"level": "ERROR"}'})
    assert forged["X-Request-ID"] != 'x"\n{"level": "ERROR"}'
    assert len(forged["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_id(client, caplog):
    handler_output = []

    class Capture(logging.Handler):
        def emit(self, record):
            handler_output.append(self.format(record))

    handler = Capture()
    handler.addFilter(RequestIDFilter())
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        response = client.get("/no-such-page", headers={"X-Request-ID": "trace-0001-abcd"})
    finally:
        logger.removeHandler(handler)

    assert response.status_code == 404
    line = json.loads(handler_output[-1])
    assert line["request_id"] == "trace-0001-abcd"
    assert line["level"] == "WARNING"
    assert line["logger"] == "django.request"
    assert "Not Found" in line["message"]
    assert line["status_code"] == 404
