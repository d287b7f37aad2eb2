"""The JSON API against its own OpenAPI description: Schemathesis generates requests for
every /api/ operation (bounded examples, in-process, with a valid token) and checks that
none answers 5xx and that status codes and content types are the documented ones."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 12


def _operations(app):
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    schema = schema.include(path_regex="^/api/")
    return [result.ok() for result in schema.get_all_operations()]


def test_api_matches_its_description(app, api_headers) -> None:
    operations = _operations(app)
    assert len(operations) >= 10  # every /api/ operation, not a silent empty run
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case) -> None:
            response = case.call(headers=api_headers)
            assert response.status_code < 500, (case.method, case.path, response.text[:200])
            case.validate_response(
                response, checks=(status_code_conformance, content_type_conformance)
            )

        check()
