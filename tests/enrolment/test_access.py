"""Who may open the pages of the enrolment register: every new route, for every role, and 404
for an import outside the user's schools or area."""

import pytest

from caseworks.core import clock
from caseworks.enrolment.models import ContactTask, Enrolment, ImportBatch
from caseworks.extensions import db

ROLES = ("teacher", "village_cadre", "school_admin", "township_official", "county_reviewer", "admin")


def _statuses(teacher, village_cadre, school_admin, township_official, county_reviewer, admin):
    return dict(
        teacher=teacher,
        village_cadre=village_cadre,
        school_admin=school_admin,
        township_official=township_official,
        county_reviewer=county_reviewer,
        admin=admin,
    )


ROUTES = [
    ("GET", "/enrolment", _statuses(200, 403, 200, 200, 200, 403)),
    ("GET", "/enrolment/new", _statuses(403, 403, 200, 200, 200, 403)),
    ("GET", "/imports/new", _statuses(403, 403, 200, 200, 200, 403)),
    ("GET", "/imports/{batch}", _statuses(403, 403, 200, 200, 200, 403)),
    ("GET", "/imports/{batch}/progress.json", _statuses(403, 403, 200, 200, 200, 403)),
    ("GET", "/imports/{batch}/errors.xlsx", _statuses(403, 403, 404, 404, 404, 403)),  # it has no invalid rows
    ("POST", "/imports/{batch}/columns", _statuses(403, 403, 422, 403, 403, 403)),  # it is done
    ("POST", "/imports/{batch}/confirm", _statuses(403, 403, 303, 303, 303, 403)),
    ("POST", "/imports/{batch}/restart", _statuses(403, 403, 303, 403, 403, 403)),
    ("GET", "/matching", _statuses(403, 403, 403, 200, 200, 403)),
    ("POST", "/matching/open", _statuses(403, 403, 403, 400, 403, 403)),
    ("GET", "/attendance", _statuses(200, 403, 200, 403, 403, 403)),
    ("POST", "/contact-tasks/{task}/done", _statuses(302, 404, 404, 404, 404, 404)),
]


@pytest.fixture
def objects(users, places, make_child):
    """An import by the school admin of school a1, and a contact task of its teacher."""
    batch = ImportBatch(
        kind="roster",
        status="done",
        user_id=users.school_admin.id,
        school_id=places.school_a1.id,
        school_year=2026,
        filename="roster.csv",
        sha256="0" * 64,
        size_bytes=3,
        content=b"abc",
        counts={"new": 1},
    )
    enrolment = Enrolment(child=make_child(), school_id=places.school_a1.id, school_year=2026, grade="三年级")
    db.session.add_all([batch, enrolment])
    db.session.flush()
    task = ContactTask(
        enrolment_id=enrolment.id,
        kind="contact_family",
        run_start=clock.today(),
        assignee_id=users.teacher.id,
        due_date=clock.today(),
    )
    db.session.add(task)
    db.session.flush()
    return {"batch": batch.id, "task": task.id}


def _request(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, data={})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,url,expected", ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES])
def test_each_role(client, login, users, objects, role, method, url, expected):
    login(getattr(users, role))
    response = _request(client, method, url.format(**objects))
    assert response.status_code == expected[role], response.get_data(as_text=True)[:500]


@pytest.mark.parametrize("role", ["other_school_admin", "other_township_official", "other_county_reviewer"])
@pytest.mark.parametrize("url", ["/imports/{batch}", "/imports/{batch}/progress.json", "/imports/{batch}/errors.xlsx"])
def test_an_import_outside_the_users_schools_is_not_found(client, login, users, objects, role, url):
    login(getattr(users, role))
    assert client.get(url.format(**objects)).status_code == 404


@pytest.mark.parametrize("method,url,expected", ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES])
def test_anonymous_is_sent_to_login(client, objects, method, url, expected):
    response = _request(client, method, url.format(**objects))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
