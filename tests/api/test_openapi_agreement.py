"""The OpenAPI document and the API agree on what schemathesis found them disagreeing about
(tests/api/test_schema_fuzz.py runs schemathesis itself against a live server)."""

import pytest

from caseworks.api import openapi


def test_a_method_an_endpoint_does_not_take_is_a_405_with_allow(client):
    response = client.delete("/api/v1/cases")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert client.put("/cases").headers["Allow"]  # the pages too


@pytest.mark.parametrize("status", ["400", "401", "403", "413", "503"])
def test_every_operation_documents_the_errors_it_may_answer(status):
    for path, operations in openapi.document()["paths"].items():
        for method, operation in operations.items():
            assert status in operation["responses"], (method, path, status)


def test_query_texts_are_documented_without_nul(client):
    q = next(p for p in openapi.document()["paths"]["/cases"]["get"]["parameters"] if p["name"] == "q")
    assert "pattern" in q["schema"]
