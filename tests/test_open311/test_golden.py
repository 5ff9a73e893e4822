"""Every Open311 method's whole answer, in XML and in JSON, as the spec shapes it
(GeoReport v2 and the mySociety extension), with the clock stopped so every time is known.
XML is compared as a tree of elements, JSON as the structure it decodes to."""

from datetime import timedelta

import pytest

from cases.models import Service
from cases.services import Actor, case_transition
from tests.factories import new_case
from tests.test_open311.conftest import (
    BASE,
    DECLARATION,
    FMS_REPORT,
    FROZEN,
    JSON_TYPE,
    XML_TYPE,
    fms,
    frozen,
    post,
    tree,
)

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
FMS_DESCRIPTION = FMS_REPORT["description"]


def get(client, path: str, fmt: str, **params):
    response = client.get(f"{BASE}/{path}.{fmt}", params)
    assert response["Content-Type"] == (XML_TYPE if fmt == "xml" else JSON_TYPE)
    if fmt == "xml":
        assert response.content.startswith(DECLARATION)
    return response


@pytest.fixture
def reports(client, key, north, admin_user):
    """A: made through Open311 (FixMyStreet's POST). B: made on the citizen's pages,
    inspected and a repair booked. C: made on the citizen's pages, then a duplicate of B."""
    with frozen(FROZEN):
        answer = post(client, {**FMS_REPORT, "api_key": key})
    a = fms(answer.content)["request"][0]["service_request_id"]
    with frozen(FROZEN + HOUR):
        b = new_case(north, Service.STREET_REPORT)
    with frozen(FROZEN + 2 * HOUR):
        c = new_case(north, Service.STREET_REPORT)
    partner = Actor.partner(north, "Highways system")
    with frozen(FROZEN + DAY):
        case_transition(case=b.pk, transition="inspect", actor=partner)
    with frozen(FROZEN + DAY + HOUR):
        case_transition(
            case=b.pk,
            transition="schedule_repair",
            actor=partner,
            data={"repair_date": "2025-03-14"},
        )
    with frozen(FROZEN + DAY + 2 * HOUR):
        case_transition(
            case=c.pk,
            transition="mark_duplicate",
            actor=Actor.caseworker(admin_user),
            data={"duplicate_of": b.process_id},
        )
    return {"A": a, "B": b.process_id, "C": c.process_id}


# --- discovery ----------------------------------------------------------------------------

DISCOVERY_XML = """<?xml version="1.0" encoding="utf-8"?>
<discovery>
  <changeset>2026-12-02T00:00:00+00:00</changeset>
  <contact>Ask the council whose street reports you send or read: its administrators run
 this service.</contact>
  <key_service>A council's administrators make API keys in Waymark's admin (API keys, then
 Add), with the cases:write scope, for the council's own reports.</key_service>
  <endpoints>
    <endpoint>
      <specification>http://wiki.open311.org/GeoReport_v2</specification>
      <url>http://localhost:8000/open311/v2</url>
      <changeset>2026-12-02T00:00:00+00:00</changeset>
      <type>production</type>
      <formats>
        <format>text/xml</format>
        <format>application/json</format>
      </formats>
    </endpoint>
  </endpoints>
</discovery>
""".replace("\n ", " ")

DISCOVERY_JSON = {
    "changeset": "2026-12-02T00:00:00+00:00",
    "contact": "Ask the council whose street reports you send or read: its administrators "
    "run this service.",
    "key_service": "A council's administrators make API keys in Waymark's admin (API keys, "
    "then Add), with the cases:write scope, for the council's own reports.",
    "endpoints": [
        {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": "http://localhost:8000/open311/v2",
            "changeset": "2026-12-02T00:00:00+00:00",
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
    ],
}


def test_discovery(client):
    assert tree(get(client, "discovery", "xml").content) == tree(DISCOVERY_XML.encode())
    assert get(client, "discovery", "json").json() == DISCOVERY_JSON


# --- services -----------------------------------------------------------------------------

SERVICES = [
    ("pothole", "Pothole"),
    ("street_light", "Street light not working"),
    ("drain", "Blocked or damaged drain cover"),
    ("sign", "Damaged road sign"),
    ("pavement", "Damaged pavement"),
    ("other", "Something else"),
]


def test_services(client, north):
    expected_xml = (
        '<?xml version="1.0" encoding="utf-8"?><services>'
        + "".join(
            f"<service><service_code>{code}</service_code><service_name>{name}</service_name>"
            "<description/><metadata>true</metadata><type>realtime</type><keywords/>"
            "<group>Street issue report</group></service>"
            for code, name in SERVICES
        )
        + "</services>"
    )
    assert tree(get(client, "services", "xml").content) == tree(expected_xml.encode())
    assert get(client, "services", "json").json() == [
        {
            "service_code": code,
            "service_name": name,
            "description": None,
            "metadata": True,
            "type": "realtime",
            "keywords": None,
            "group": "Street issue report",
        }
        for code, name in SERVICES
    ]


FIXMYSTREET_ID = (
    "FixMyStreet's ID for the report: a report sent again with the same ID is answered "
    "with the first one's service_request_id, never made twice"
)
CLOSEST_ADDRESS = (
    "The address nearest the pin: where the problem is, when address_string is not sent"
)

DEFINITION_XML = f"""<?xml version="1.0" encoding="utf-8"?>
<service_definition>
  <service_code>street_light</service_code>
  <attributes>
    <attribute>
      <variable>false</variable>
      <code>fixmystreet_id</code>
      <datatype>string</datatype>
      <required>false</required>
      <datatype_description/>
      <order>1</order>
      <description>{FIXMYSTREET_ID}</description>
      <automated>server_set</automated>
      <values/>
    </attribute>
    <attribute>
      <variable>false</variable>
      <code>closest_address</code>
      <datatype>string</datatype>
      <required>false</required>
      <datatype_description/>
      <order>2</order>
      <description>{CLOSEST_ADDRESS}</description>
      <automated>server_set</automated>
      <values/>
    </attribute>
  </attributes>
</service_definition>
"""


def test_a_service_definition(client, north):
    content = get(client, "services/street_light", "xml").content
    assert tree(content) == tree(DEFINITION_XML.encode())
    attribute = {
        "variable": False,
        "datatype": "string",
        "required": False,
        "datatype_description": None,
        "automated": "server_set",
        "values": [],
    }
    assert get(client, "services/street_light", "json").json() == {
        "service_code": "street_light",
        "attributes": [
            {**attribute, "code": "fixmystreet_id", "order": 1, "description": FIXMYSTREET_ID},
            {**attribute, "code": "closest_address", "order": 2, "description": CLOSEST_ADDRESS},
        ],
    }


# --- requests -----------------------------------------------------------------------------


def a_request(ids) -> dict:
    return {
        "service_request_id": ids["A"],
        "status": "open",
        "status_notes": "We received your report",
        "service_name": "Pothole",
        "service_code": "pothole",
        "description": FMS_DESCRIPTION,
        "agency_responsible": "Northshire Council",
        "service_notice": None,
        "requested_datetime": "2025-03-03T10:00:00+00:00",
        "updated_datetime": "2025-03-03T10:00:00+00:00",
        # Two working days to inspect from Monday, then the working days of the stages to
        # come (5, 20 and 14), less Good Friday and Easter Monday.
        "expected_datetime": "2025-05-01T00:00:00+01:00",
        "address": "3 Mill Lane, Northtown",
        "address_id": None,
        "zipcode": None,
        "lat": 53.480759,
        "long": -2.242631,
        "media_url": None,
    }


def b_request(ids) -> dict:
    return {
        **a_request(ids),
        "service_request_id": ids["B"],
        "status_notes": "We booked a repair",
        "description": None,
        "requested_datetime": "2025-03-03T11:00:00+00:00",
        "updated_datetime": "2025-03-04T11:00:00+00:00",
        "expected_datetime": "2025-03-14T00:00:00+00:00",  # the repair date
        "address": "Outside 3 Mill Lane",
        "lat": None,
        "long": None,
    }


def c_request(ids) -> dict:
    return {
        **b_request(ids),
        "service_request_id": ids["C"],
        "status": "closed",
        "status_notes": "This problem was already reported",
        "requested_datetime": "2025-03-03T12:00:00+00:00",
        "updated_datetime": "2025-03-04T12:00:00+00:00",
        "expected_datetime": None,
    }


def as_xml(requests: list[dict]) -> bytes:
    def value(v):
        return "" if v is None else str(v)

    items = "".join(
        "<request>" + "".join(f"<{k}>{value(v)}</{k}>" for k, v in r.items()) + "</request>"
        for r in requests
    )
    return DECLARATION + f"<service_requests>{items}</service_requests>".encode()


def test_a_list_of_requests_newest_first(client, reports):
    expected = [c_request(reports), b_request(reports), a_request(reports)]
    with frozen(FROZEN + 2 * DAY):
        xml = get(client, "requests", "xml")
        json = get(client, "requests", "json")
    assert tree(xml.content) == tree(as_xml(expected))
    assert json.json() == expected


def test_one_request_keeps_the_list_wrapper(client, reports):
    with frozen(FROZEN + 2 * DAY):
        xml = get(client, f"requests/{reports['A']}", "xml")
        json = get(client, f"requests/{reports['A'].lower()}", "json")
    assert tree(xml.content) == tree(as_xml([a_request(reports)]))
    assert json.json() == [a_request(reports)]


def test_the_answer_to_a_post(client, key):
    with frozen(FROZEN):
        xml = post(client, {**FMS_REPORT, "api_key": key})
        json = post(client, {**FMS_REPORT, "api_key": key}, "json")  # the same report again
    assert xml["Content-Type"] == XML_TYPE
    assert json["Content-Type"] == JSON_TYPE
    (request,) = json.json()
    assert request == {
        "service_request_id": request["service_request_id"],
        "service_notice": None,
        "account_id": None,
    }
    assert tree(xml.content) == (
        "service_requests",
        [
            (
                "request",
                [
                    ("service_request_id", request["service_request_id"]),
                    ("service_notice", ""),
                    ("account_id", ""),
                ],
            )
        ],
    )


def test_a_token(client, reports):
    a = reports["A"]
    xml = get(client, f"tokens/{a}", "xml")
    assert tree(xml.content) == (
        "service_requests",
        [("request", [("service_request_id", a), ("token", a)])],
    )
    assert get(client, f"tokens/{a}", "json").json() == [{"service_request_id": a, "token": a}]


# --- servicerequestupdates ----------------------------------------------------------------


def updates(ids, events) -> list[dict]:
    return [
        {
            "update_id": str(event.pk),
            "service_request_id": ids[case],
            "status": status,
            "updated_datetime": at,
            "description": text,
            "media_url": None,
            "external_status_code": stage,
        }
        for event, (case, status, at, text, stage) in events
    ]


def test_service_request_updates(client, reports):
    from cases.models import CaseEvent

    events = list(CaseEvent.objects.filter(kind="transition").order_by("created_at", "id"))
    expected = updates(
        reports,
        zip(
            events,
            [
                (
                    "B",
                    "investigating",
                    "2025-03-04T10:00:00+00:00",
                    "An inspector looked at the problem",
                    "inspection",
                ),
                (
                    "B",
                    "action_scheduled",
                    "2025-03-04T11:00:00+00:00",
                    "We booked a repair",
                    "repair",
                ),
                (
                    "C",
                    "duplicate",
                    "2025-03-04T12:00:00+00:00",
                    "This problem was already reported",
                    "duplicate",
                ),
            ],
            strict=True,
        ),
    )
    window = {"start_date": "2025-03-03T00:00:00Z", "end_date": "2025-03-05T00:00:00Z"}
    xml = get(client, "servicerequestupdates", "xml", **window)
    items = "".join(
        "<request_update>"
        + "".join(f"<{k}>{'' if v is None else v}</{k}>" for k, v in update.items())
        + "</request_update>"
        for update in expected
    )
    assert tree(xml.content) == tree(
        f"<service_request_updates>{items}</service_request_updates>".encode()
    )
    assert get(client, "servicerequestupdates", "json", **window).json() == expected


def test_no_updates_is_an_empty_list(client, north):
    xml = get(client, "servicerequestupdates", "xml")
    assert xml.content == DECLARATION + b"<service_request_updates />\n"
    assert get(client, "servicerequestupdates", "json").json() == []


# --- errors -------------------------------------------------------------------------------


def test_an_error(client, key):
    xml = post(client, {"api_key": key, "lat": "53.48", "long": "-2.24"})
    assert xml.status_code == 400
    assert tree(xml.content) == (
        "errors",
        [
            (
                "error",
                [
                    ("code", "400"),
                    ("description", "service_code: missing: send the code of one of services.xml"),
                ],
            )
        ],
    )
    json = post(client, {"api_key": key, "lat": "53.48", "long": "-2.24"}, "json")
    assert json.json() == [
        {"code": 400, "description": "service_code: missing: send the code of one of services.xml"}
    ]
