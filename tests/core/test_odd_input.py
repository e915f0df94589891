"""Odd numbers in URLs and query strings are no error: pages ignore them, ids too large for the
database are simply not found."""

import pytest

ODD = ["²", "٣", "-1", "0", "99999999999999999999", "abc", ""]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(
    "path,role",
    [
        ("/cases?page={v}&township={v}&village={v}", "township_official"),
        ("/visits/overdue?page={v}&school={v}&person={v}", "township_official"),
        ("/inbox?page={v}", "teacher"),
        ("/review?page={v}", "county_reviewer"),
        ("/audit?page={v}&case={v}", "county_reviewer"),
        ("/admin/users?page={v}", "admin"),
    ],
)
def test_odd_query_numbers_are_ignored(client, login, users, path, role, value):
    login(getattr(users, role))
    assert client.get(path.format(v=value)).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/cases/99999999999999999999",
        "/cases/99999999999999999999/history",
        "/notices/99999999999999999999",
        "/visits/photos/99999999999999999999",
        "/review/99999999999999999999",
    ],
)
def test_ids_too_large_are_not_found(client, login, users, path):
    login(users.county_reviewer)
    assert client.get(path).status_code == 404
