"""The API against its own schema: the checked-in file is current, and schemathesis,
driven by that file against a live daphne, finds no 5xx and no response off the schema.

The fuzzing stays CI-sized: positive data, a few examples per operation, no shrinking.
Nothing leaves 127.0.0.1: operations that would make ChargeNet POST to a generated URL
(creating or changing webhook subscriptions, pinging them) are left out.
"""

import difflib

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from tests.support.live import ROOT, live_daphne

SCHEMA_FILE = ROOT / "schema" / "openapi.yaml"
EXAMPLES = 10  # per operation: CI-sized (well under a minute in all)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]

# Findings in code outside this test's reach, reported for their owners (issue 9): the
# test tolerates them until fixed; remove the entry with the fix.
KNOWN_FAILURES = {
    # An empty multipart body to an action without a request body answers a bare 400:
    # no JSON, no Content-Type.
    "POST /api/v1/charging-profiles/{id}/clear/": "bare 400 on an empty multipart body",
    "POST /api/v1/invoices/{id}/credit-note/": "bare 400 on an empty multipart body",
    "POST /api/v1/reservations/{id}/cancel/": "bare 400 on an empty multipart body",
    # Errors of a nested list serializer (tariff assignments) are objects per item, but
    # the Error schema documents `errors` as lists of strings.
    "POST /api/v1/tariffs/": "nested `errors` do not match the Error schema",
}


def test_checked_in_schema_is_current(tmp_path):
    """`make schema` was run after the last API change (a change shows as a diff)."""
    generated = tmp_path / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))
    expected, actual = SCHEMA_FILE.read_text(), generated.read_text()
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            "schema/openapi.yaml",
            "generated",
            n=1,
        )
    )
    assert not diff, f"schema/openapi.yaml is stale: run `make schema`\n{diff[:4000]}"


def _schema():
    schema = schemathesis.openapi.from_path(SCHEMA_FILE)
    return schema.exclude(path_regex=r"^/api/v1/webhooks/", method=["POST", "PUT", "PATCH"])


def _fuzz(operation, base_url: str, key: str) -> None:
    """A few positive cases for one operation; raise what schemathesis found."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        case.call_and_validate(
            base_url=base_url,
            headers={"Authorization": f"Token {key}"},
            checks=CHECKS,
            timeout=15,
        )

    run()


@pytest.mark.live
def test_api_matches_its_schema(transactional_db):
    """One daphne, every operation in turn (one test: xdist starts one server for it)."""
    user = get_user_model().objects.create_user(
        "schemathesis", password="pw-123456789", is_staff=True, is_superuser=True
    )
    key = Token.objects.create(user=user).key
    failures, tried = {}, 0
    with live_daphne(OCPP_COMMAND_TIMEOUT="2") as host:
        for result in _schema().get_all_operations():
            operation = result.ok()
            label = f"{operation.method.upper()} {operation.path}"
            tried += 1
            try:
                _fuzz(operation, f"http://{host}", key)
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - a FailureGroup
                failures[label] = exc
    assert tried > 40
    unexpected = {label: exc for label, exc in failures.items() if label not in KNOWN_FAILURES}
    assert not unexpected, "\n\n".join(f"{label}:\n{exc}" for label, exc in unexpected.items())
