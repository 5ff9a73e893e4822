"""The committed OpenAPI document (docs/api/openapi.yaml) is the one the code makes, and
every answer of the API fits it: schemathesis generates requests from the document —
valid and invalid, following the links between operations — and runs them against the
app in-process, with a real key, checking there is no server error, no answer that
breaks the document, and no request against the document accepted."""

import itertools
import socket
from pathlib import Path
from unittest import mock

import pytest
import schemathesis
import yaml
from django.core.management import call_command
from hypothesis import HealthCheck, settings
from schemathesis import checks

from cases.models import Service
from config.wsgi import application
from tests.factories import council, make_case, new_case
from tests.test_api.conftest import make_key

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"


def test_the_committed_document_is_the_one_the_code_makes(tmp_path):
    made = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(made), "--validate", "--fail-on-warn")
    assert yaml.safe_load(made.read_text()) == yaml.safe_load(DOCUMENT.read_text()), (
        "The API changed: run `make openapi` and commit docs/api/openapi.yaml"
    )


def _json_schema(node):
    """OpenAPI 3.0's schema dialect as JSON Schema: `nullable` becomes "or null"."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    return {"anyOf": [converted, {"type": "null"}]} if node.get("nullable") else converted


def _examples(document):
    """(where, schema, value) for every example of a body the document gives."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += list(operation["responses"].items())
            for status, body in bodies:
                for media, content in body.get("content", {}).items():
                    for name, found in content.get("examples", {}).items():
                        where = f"{method.upper()} {path} {status} {media}: {name}"
                        yield where, content["schema"], found["value"]


def test_every_operation_has_examples_and_each_matches_its_schema():
    import jsonschema

    document = yaml.safe_load(DOCUMENT.read_text())
    components = _json_schema(document["components"])
    checked = set()
    for where, body_schema, value in _examples(document):
        root = {"components": components, "x-body": _json_schema(body_schema)}
        validator = jsonschema.Draft7Validator({**root, "$ref": "#/x-body"})
        errors = [error.message for error in validator.iter_errors(value)]
        assert not errors, (where, errors)
        checked.add(where.split(" ")[0] + " " + where.split(" ")[1])
    every = {f"{m.upper()} {p}" for p, ops in document["paths"].items() for m in ops}
    assert checked == every  # every operation shows what it is sent or answers


schema = schemathesis.openapi.from_path(str(DOCUMENT))
schema.app = application  # in-process, through the whole middleware stack
schema.config.generation.update(with_security_parameters=False)  # a real key is sent


@pytest.fixture(autouse=True)
def _every_name_is_public():
    """A webhook's target is resolved when it is saved: here every name has one public
    address, so what the API answers does not depend on the machine's DNS."""
    public = [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]
    with mock.patch("socket.getaddrinfo", return_value=public):
        yield


@pytest.fixture
def api_key(db):

    organisation = council(slug="north", name="Northshire Council")
    seed_cases(organisation)
    return make_key(organisation)


def seed_cases(organisation) -> None:
    new_case(organisation)
    make_case(organisation, Service.STREET_REPORT, "inspected")


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_every_request_as_its_document_says(case, api_key):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {api_key}"},
        # A request the document allows may still be refused by the council's rules (a
        # case's answers, a step not possible now): a 400 or 422 problem, never a 5xx.
        excluded_checks=[checks.positive_data_acceptance],
    )


@pytest.mark.django_db(transaction=True)
def test_following_the_links_between_operations_finds_nothing_wrong():
    """Stateful: open a case, then follow the document's links to its parts and steps, in
    sequences schemathesis chooses."""

    followed: set[str] = set()
    scenarios = itertools.count()

    class Workflow(schema.as_state_machine()):
        # Each scenario has a council of its own with the same two cases, so replaying one
        # (to shrink a failure) meets the same answers, whatever the ones before did.
        def setup(self):
            organisation = council(slug=f"north-{next(scenarios)}", name="Northshire Council")
            seed_cases(organisation)
            self.key = make_key(organisation)

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {self.key}"}}

        def after_call(self, response, case):
            if response.status_code < 300 and "{" in case.operation.path:
                followed.add(case.operation.label)

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                # Every call carries the real key (tests/test_api/test_keys_and_scoping.py
                # covers wrong ones), so "ignored auth" cannot be judged here.
                excluded_checks=[checks.positive_data_acceptance, checks.ignored_auth],
                transport_kwargs=kwargs,
            )

    Workflow.run(
        settings=settings(
            max_examples=60,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    # Links from a new or read case, and from a new subscription, were followed.
    assert len([f for f in followed if "{case_id}" in f]) >= 5, followed
    assert len([f for f in followed if "/webhooks/{id}" in f]) >= 3, followed
