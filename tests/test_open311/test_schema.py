"""The JSON answers typed as open311/schema-validation types GeoReport v2 (booleans and
numbers where it has them, string IDs, null for an empty optional value): checked against
our own JSON Schemas of the same rules, written from its service, service-definition and
request schemas, plus the mySociety extension's update."""

import jsonschema
import pytest

from cases.services import Actor, case_transition
from tests.test_open311.conftest import BASE, FMS_REPORT, png, post

pytestmark = pytest.mark.django_db

TEXT_OR_NULL = {"type": ["string", "null"]}
MOMENT = {"type": "string", "format": "date-time"}
MOMENT_OR_NULL = {"type": ["string", "null"], "format": "date-time"}


def listing(item: dict) -> dict:
    return {"type": "array", "items": item}


SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "metadata", "type"],
    "properties": {
        "service_code": {"type": "string"},
        "service_name": {"type": "string"},
        "description": TEXT_OR_NULL,
        "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]},
        "keywords": TEXT_OR_NULL,
        "group": TEXT_OR_NULL,
    },
}
DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": {"type": "string"},
        "attributes": listing(
            {
                "type": "object",
                "required": ["variable", "code", "datatype", "required"],
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": {"type": "string"},
                    "datatype": {
                        "enum": [
                            "string",
                            "number",
                            "datetime",
                            "text",
                            "singlevaluelist",
                            "multivaluelist",
                        ]
                    },
                    "required": {"type": "boolean"},
                    "datatype_description": TEXT_OR_NULL,
                    "order": {"type": ["integer", "null"], "minimum": 1},
                    "description": TEXT_OR_NULL,
                    "automated": {"enum": ["server_set", "hidden_field"]},
                    "values": listing(
                        {
                            "type": "object",
                            "required": ["key", "name"],
                            "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
                        }
                    ),
                },
            }
        ),
    },
}
REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    "properties": {
        "service_request_id": {"type": "string"},
        "status": {"enum": ["open", "closed"]},
        "status_notes": TEXT_OR_NULL,
        "service_name": TEXT_OR_NULL,
        "service_code": {"type": "string"},
        "description": {"type": ["string", "null"], "maxLength": 4000},
        "agency_responsible": TEXT_OR_NULL,
        "service_notice": TEXT_OR_NULL,
        "requested_datetime": MOMENT,
        "updated_datetime": MOMENT_OR_NULL,
        "expected_datetime": MOMENT_OR_NULL,
        "address": TEXT_OR_NULL,
        "address_id": TEXT_OR_NULL,
        "zipcode": TEXT_OR_NULL,
        "lat": {"type": ["number", "null"]},
        "long": {"type": ["number", "null"]},
        "media_url": {"type": ["string", "null"], "format": "uri"},
    },
    "additionalProperties": False,
}
CREATED = {
    "type": "object",
    "required": ["service_request_id"],
    "properties": {
        "service_request_id": {"type": "string"},
        "service_notice": TEXT_OR_NULL,
        "account_id": TEXT_OR_NULL,
    },
    "additionalProperties": False,
}
UPDATE = {
    "type": "object",
    "required": ["update_id", "service_request_id", "status", "updated_datetime", "description"],
    "properties": {
        "update_id": {"type": "string", "minLength": 1},
        "service_request_id": {"type": "string"},
        "status": {"type": "string", "pattern": "^[a-z_]+$"},
        "updated_datetime": MOMENT,
        "description": {"type": "string"},
        "media_url": TEXT_OR_NULL,
        "external_status_code": {"type": "string"},
    },
    "additionalProperties": False,
}
ERROR = {
    "type": "object",
    "required": ["code", "description"],
    "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
}


def valid(body, schema) -> None:
    jsonschema.validate(body, schema, format_checker=jsonschema.FormatChecker())


def test_every_json_answer_is_typed_as_the_schemas_say(client, key, north):
    created = post(client, {**FMS_REPORT, "api_key": key, "photo1": png()}, "json").json()
    valid(created, listing(CREATED))
    case_transition(
        case=north.cases.get(process_id=created[0]["service_request_id"]).pk,
        transition="inspect",
        actor=Actor.partner(north, "Highways"),
    )
    valid(client.get(f"{BASE}/services.json").json(), listing(SERVICE))
    valid(client.get(f"{BASE}/services/pothole.json").json(), DEFINITION)
    requests = client.get(f"{BASE}/requests.json").json()
    valid(requests, listing(REQUEST))
    assert any(r["media_url"] for r in requests)
    valid(client.get(f"{BASE}/servicerequestupdates.json").json(), listing(UPDATE))
    valid(client.get(f"{BASE}/services/blue_badge.json").json(), listing(ERROR))
