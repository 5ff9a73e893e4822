"""Fuzzing every Open311 method's parameters (Hypothesis, as tests/test_fuzz does): never a
5xx, always the format the address asks for, and a refused POST writes nothing."""

import json
import xml.etree.ElementTree as ET
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cases.open311.models import Open311Submission
from tests.test_fuzz.conftest import snapshot
from tests.test_fuzz.strategies import FUZZ, NASTY, text, value
from tests.test_open311.conftest import BASE, FMS_REPORT, JSON_TYPE, XML_TYPE, png

pytestmark = pytest.mark.django_db

GET_PARAMETERS = [
    "jurisdiction_id",
    "service_request_id",
    "service_code",
    "start_date",
    "end_date",
    "status",
    "updated_after",
    "updated_before",
    "page",
    "page_size",
    "api_key",
]
DATES = st.sampled_from(
    [
        "2025-03-03T10:00:00Z",
        "2025-03-03T10:00:00+01:00",
        "2025-02-30T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-12:00",
        "2025-03-03",
    ]
)
METHODS = ["requests", "servicerequestupdates", "services", "discovery"]
WITH_AN_ID = ["services", "requests", "tokens", "media"]


def answered_in(response, fmt: str) -> None:
    """Not a server error, and a well-formed body in the format asked for."""
    assert response.status_code < 500, (response.status_code, response.content[:2000])
    if fmt == "json":
        assert response["Content-Type"] == JSON_TYPE
        json.loads(response.content)
    else:
        assert response["Content-Type"] == XML_TYPE, response["Content-Type"]
        ET.fromstring(response.content)  # noqa: S314 - our own answer


def query():
    keys = st.sampled_from([*GET_PARAMETERS, "junk"])
    values = st.one_of(value, DATES, st.sampled_from(["open", "closed", "pothole", "north", "1"]))
    return st.dictionaries(keys, values, max_size=6)


@FUZZ
@given(method=st.sampled_from(METHODS), fmt=st.sampled_from(["xml", "json"]), params=query())
def test_lists_answer_any_query_in_its_format(client, north, method, fmt, params):
    answered_in(client.get(f"{BASE}/{method}.{fmt}", params), fmt)


@FUZZ
@given(
    method=st.sampled_from(WITH_AN_ID),
    fmt=st.sampled_from(["xml", "json"]),
    segment=st.one_of(text, st.sampled_from(["pothole", "blue_badge", "ST", "1.a.b"])),
    params=query(),
)
def test_one_thing_by_its_id_answers_in_its_format(client, north, method, fmt, segment, params):
    path = f"{BASE}/{method}/{quote(segment, safe='')}.{fmt}"
    answered_in(client.get(path, params), fmt)


EXTRA_FIELDS = {
    "address_string": st.sampled_from(["3 Mill Lane", "AB1 2CD", " "]),
    "address_id": st.just("#NOTPINPOINTED#"),
    "jurisdiction_id": st.sampled_from(["north", "south", "nowhere"]),
    "device_id": text,
    "deviceid": text,
    "account_id": text,
    "media_url": st.sampled_from(["https://fms.example/1.jpeg", "javascript:alert(1)"]),
    "phone": st.sampled_from(["07700 900982", "+447700900982", "0", "999"]),
    "attribute[hazards][]": st.lists(text, max_size=3),
    "photo1": st.builds(lambda content: png(content=content), st.binary(max_size=64)),
    "photo2": st.just(png()),
    "file_1": st.just(png("plan.pdf")),
}


def report(key: str):
    """A POST like FixMyStreet's: each of its fields most often kept, else dropped or
    replaced by anything, with some of the other fields a client may send; its key good
    most of the time, so the report's own checks are reached."""
    kept = {
        name: st.one_of(st.just(sent), st.just(sent), st.just(sent), value, st.sampled_from(NASTY))
        for name, sent in FMS_REPORT.items()
    }
    extra = st.fixed_dictionaries({}, optional=EXTRA_FIELDS)
    return st.builds(
        lambda fields, drop, more, api_key: {
            **{k: v for k, v in fields.items() if k not in drop},
            **more,
            "api_key": api_key,
        },
        st.fixed_dictionaries(kept),
        st.sets(st.sampled_from(sorted(FMS_REPORT)), max_size=2),
        extra,
        st.one_of(st.just(key), st.just(key), st.just(key), text),
    )


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(["xml", "json"]))
def test_a_post_answers_anything_in_its_format_and_a_refusal_writes_nothing(client, key, data, fmt):
    body = data.draw(report(key))
    before = (snapshot(), Open311Submission.objects.count())
    response = client.post(f"{BASE}/requests.{fmt}", body)
    answered_in(response, fmt)
    if response.status_code >= 400:
        assert (snapshot(), Open311Submission.objects.count()) == before
