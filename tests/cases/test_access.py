"""The authorisation matrix: every case route, for every role, inside and outside its scope.

Inside the scope the answer depends on the role; outside it is always 404, so that a guessed
URL never confirms that a case exists. The system administrator does not see case content.
"""

import pytest

from caseworks.core.choices import CaseKind

ROLES = ("teacher", "village_cadre", "school_admin", "township_official", "county_reviewer", "admin")
OTHERS = (
    "other_teacher",
    "other_village_cadre",
    "other_school_admin",
    "other_township_official",
    "other_county_reviewer",
)

#: (method, url template, {role: status inside the scope})
ROUTES = [
    (
        "GET",
        "/cases",
        dict(teacher=200, village_cadre=200, school_admin=200, township_official=200, county_reviewer=200, admin=403),
    ),
    (
        "GET",
        "/cases/new",
        dict(teacher=200, village_cadre=200, school_admin=200, township_official=200, county_reviewer=403, admin=403),
    ),
    (
        "GET",
        "/cases/{id}",
        dict(teacher=200, village_cadre=200, school_admin=200, township_official=200, county_reviewer=200, admin=403),
    ),
    (
        "GET",
        "/cases/{id}/edit",
        dict(teacher=200, village_cadre=200, school_admin=200, township_official=200, county_reviewer=403, admin=403),
    ),
    (
        "POST",
        "/cases/{id}/reveal",
        dict(teacher=200, village_cadre=200, school_admin=200, township_official=200, county_reviewer=200, admin=403),
    ),
    (
        "POST",
        "/cases/{id}/plan",
        dict(teacher=422, village_cadre=422, school_admin=422, township_official=422, county_reviewer=403, admin=403),
    ),
    (
        "GET",
        "/cases/{id}/assign/teacher",
        dict(teacher=403, village_cadre=403, school_admin=200, township_official=403, county_reviewer=403, admin=403),
    ),
    (
        "GET",
        "/cases/{id}/assign/cadre",
        dict(teacher=403, village_cadre=403, school_admin=403, township_official=200, county_reviewer=403, admin=403),
    ),
    (
        "GET",
        "/cases/{id}/step/confirm_dropout",
        dict(teacher=200, village_cadre=200, school_admin=200, township_official=200, county_reviewer=403, admin=403),
    ),
    (
        "GET",
        "/cases/{id}/step/dismiss_suspicion",
        dict(teacher=403, village_cadre=403, school_admin=200, township_official=200, county_reviewer=403, admin=403),
    ),
    (
        "GET",
        "/cases/{id}/step/escalate_judicial",
        dict(teacher=403, village_cadre=403, school_admin=403, township_official=200, county_reviewer=200, admin=403),
    ),
    (
        "GET",
        "/cases/{id}/history",
        dict(teacher=200, village_cadre=200, school_admin=200, township_official=200, county_reviewer=200, admin=403),
    ),
    (
        "GET",
        "/cases/{id}/visits/new",
        dict(teacher=200, village_cadre=200, school_admin=200, township_official=200, county_reviewer=403, admin=403),
    ),
    (
        "POST",
        "/cases/{id}/visits/plan",
        dict(teacher=422, village_cadre=422, school_admin=422, township_official=422, county_reviewer=403, admin=403),
    ),
    (
        "POST",
        "/cases/{id}/support",
        dict(teacher=422, village_cadre=422, school_admin=422, township_official=422, county_reviewer=403, admin=403),
    ),
    (
        "GET",
        "/cases/{id}/notices/new",
        dict(teacher=403, village_cadre=403, school_admin=403, township_official=200, county_reviewer=403, admin=403),
    ),
    (
        "POST",
        "/cases/{id}/legal-steps",
        dict(teacher=403, village_cadre=403, school_admin=403, township_official=403, county_reviewer=403, admin=403),
    ),
    (
        "GET",
        "/cases/{id}/transfer",
        dict(teacher=403, village_cadre=403, school_admin=200, township_official=200, county_reviewer=403, admin=403),
    ),
    (
        "GET",
        "/visits/mine",
        dict(teacher=200, village_cadre=200, school_admin=200, township_official=200, county_reviewer=200, admin=403),
    ),
    (
        "GET",
        "/visits/overdue",
        dict(teacher=403, village_cadre=403, school_admin=200, township_official=200, county_reviewer=200, admin=403),
    ),
    (
        "GET",
        "/inbox",
        dict(teacher=200, village_cadre=200, school_admin=200, township_official=200, county_reviewer=200, admin=200),
    ),
    (
        "GET",
        "/review",
        dict(teacher=403, village_cadre=403, school_admin=403, township_official=403, county_reviewer=200, admin=403),
    ),
    (
        "GET",
        "/review/spot-checks",
        dict(teacher=403, village_cadre=403, school_admin=403, township_official=403, county_reviewer=200, admin=403),
    ),
    (
        "GET",
        "/audit",
        dict(teacher=403, village_cadre=403, school_admin=403, township_official=403, county_reviewer=200, admin=403),
    ),
    (
        "GET",
        "/audit/export",
        dict(teacher=403, village_cadre=403, school_admin=403, township_official=403, county_reviewer=200, admin=403),
    ),
]

#: routes whose access is walked in the tests of their own feature (with the objects they need)
CHECKED_ELSEWHERE = {
    "/admin/": "tests/accounts/test_admin_users.py and tests/places/test_admin_places.py",
    "/review/<int:case_id>": "tests/review/test_decisions.py",
    "/review/spot-checks/": "tests/review/test_spot_checks.py",
    "/visits/photos/": "tests/visits/test_visits.py",
    "/visits/<int:visit_id>/cancel": "tests/visits/test_visits.py",
    "/notices/": "tests/ladder/test_ladder.py",
    "/transfers/": "tests/ladder/test_ladder.py",
    "/inbox/": "tests/inbox/test_inbox.py",
    "/api/v1/": "tests/api/test_api.py",
    "/account": "tests/accounts/test_session_security.py",
    "/cases/<int:case_id>/assign/<line>": "the assign/teacher and assign/cadre rows above",
    "/cases/<int:case_id>/step/<name>": "the step rows above",
    "/enrolment": "tests/enrolment/test_access.py",
    "/imports/": "tests/enrolment/test_access.py",
    "/matching": "tests/enrolment/test_access.py",
    "/attendance": "tests/enrolment/test_access.py",
    "/contact-tasks/": "tests/enrolment/test_access.py",
}
PUBLIC = {"/login", "/logout", "/healthz", "/lang/<code>", "/static/<path:filename>", "/"}
CASE_SPECIFIC = [r for r in ROUTES if "{id}" in r[1]]


@pytest.fixture
def suspected_case(make_case, users):
    return make_case(kind=CaseKind.SUSPECTED, teacher=users.teacher, cadre=users.village_cadre)


def _request(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data={})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,url,expected", ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES])
def test_inside_scope(client, login, users, suspected_case, role, method, url, expected):
    login(getattr(users, role))
    response = _request(client, method, url.format(id=suspected_case.id))
    assert response.status_code == expected[role]


@pytest.mark.parametrize("role", OTHERS)
@pytest.mark.parametrize("method,url,expected", CASE_SPECIFIC, ids=[f"{m} {u}" for m, u, _ in CASE_SPECIFIC])
def test_outside_scope_is_not_found(client, login, users, suspected_case, role, method, url, expected):
    login(getattr(users, role))
    response = _request(client, method, url.format(id=suspected_case.id))
    assert response.status_code == 404


@pytest.mark.parametrize("method,url,expected", ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES])
def test_anonymous_is_sent_to_login(client, suspected_case, method, url, expected):
    response = _request(client, method, url.format(id=suspected_case.id))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES[:5])
def test_a_case_that_does_not_exist_is_not_found(client, login, users, role):
    login(getattr(users, role))
    assert client.get("/cases/999999").status_code == 404


def test_an_unassigned_teacher_of_the_same_school_does_not_see_the_case(client, login, users, own_case):
    login(users.teacher2)
    assert client.get(f"/cases/{own_case.id}").status_code == 404


def test_a_village_cadre_sees_the_cases_of_their_village(client, login, users, make_case):
    case = make_case()  # nobody assigned, household in the cadre's village
    login(users.village_cadre)
    assert client.get(f"/cases/{case.id}").status_code == 200
    # ... but changes only the cases they are assigned to
    assert client.get(f"/cases/{case.id}/edit").status_code == 403


def test_the_list_shows_only_cases_in_scope(client, login, users, own_case, foreign_case):
    login(users.township_official)
    page = client.get("/cases").get_data(as_text=True)
    assert f'href="/cases/{own_case.id}"' in page
    assert f'href="/cases/{foreign_case.id}"' not in page


def test_every_route_is_in_the_matrix_or_checked_elsewhere(app):
    covered = {url.replace("{id}", "<int:case_id>") for _m, url, _e in ROUTES}
    missing = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule not in covered
        and rule.rule not in PUBLIC
        and not any(rule.rule.startswith(prefix) for prefix in CHECKED_ELSEWHERE)
    ]
    assert not missing, f"routes nobody checks access to: {missing}"
