"""Areas and schools: /admin/places and /admin/schools."""

import pytest
from sqlalchemy import select

from caseworks.core.choices import Role
from caseworks.extensions import db
from caseworks.places.models import Area, School
from tests.accounts.helpers import audit_since, last_audit_id

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

NON_ADMIN_ROLES = ["teacher", "village_cadre", "school_admin", "township_official", "county_reviewer"]

GET_URLS = [
    "/admin/places",
    "/admin/places/{area}",
    "/admin/places/{area}/new",
    "/admin/places/{area}/edit",
    "/admin/places/{area}/schools/new",
    "/admin/schools/{school}",
    "/admin/schools/{school}/edit",
]
POST_URLS = [
    "/admin/places/{area}/new",
    "/admin/places/{area}/edit",
    "/admin/places/{area}/deactivate",
    "/admin/places/{area}/reactivate",
    "/admin/places/{area}/schools/new",
    "/admin/schools/{school}/edit",
    "/admin/schools/{school}/deactivate",
    "/admin/schools/{school}/reactivate",
]


def _url(template, places):
    return template.format(area=places.town_a1.id, school=places.school_a1.id)


def _area(code):
    db.session.expire_all()
    return db.session.scalar(select(Area).where(Area.code == code))


def _school(code):
    db.session.expire_all()
    return db.session.scalar(select(School).where(School.code == code))


def _count(model):
    return len(db.session.scalars(select(model.id)).all())


# --- access --------------------------------------------------------------------------------


def test_anonymous_goes_to_login(client, places):
    for url in GET_URLS:
        response = client.get(_url(url, places))
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url
    for url in POST_URLS:
        response = client.post(_url(url, places))
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_other_roles_get_403(client, users, places, login, role):
    login(getattr(users, role))
    before = last_audit_id()
    for url in GET_URLS:
        assert client.get(_url(url, places)).status_code == 403, url
    for url in POST_URLS:
        assert client.post(_url(url, places), data={"name": "x"}).status_code == 403, url
    assert audit_since(before) == []
    assert _area(places.town_a1.code).is_active


@pytest.mark.parametrize("url", GET_URLS)
def test_admin_gets_the_pages(client, users, places, login, url):
    login(users.admin)
    assert client.get(_url(url, places)).status_code == 200


def test_places_outside_the_admins_area_are_404(client, places, make_user, login):
    login(make_user(Role.ADMIN, places.county_b, "admin_b"))
    before = last_audit_id()
    for url in GET_URLS[1:]:
        assert client.get(_url(url, places)).status_code == 404, url
    for url in POST_URLS:
        assert client.post(_url(url, places), data={"name": "x", "code": "522727109000"}).status_code == 404, url
    # the county B administrator's own tree starts at county B: the city above is outside too
    assert client.get(f"/admin/places/{places.city.id}").status_code == 404
    assert audit_since(before) == []


def test_index_shows_the_admins_own_area(client, places, make_user, login):
    login(make_user(Role.ADMIN, places.county_b, "admin_b"))
    page = client.get("/admin/places").get_data(as_text=True)
    assert "罗甸县" in page and "龙坪镇" in page
    assert "平塘县" not in page


def test_area_page_shows_children_schools_and_breadcrumbs(client, users, places, login):
    login(users.admin)
    page = client.get(f"/admin/places/{places.town_a1.id}").get_data(as_text=True)
    assert "新场村" in page and "平里村" in page
    assert "通州镇中心小学" in page and "通州镇中学" in page
    assert "克度镇中心小学" not in page
    for ancestor in (places.province, places.city, places.county_a):
        assert f'href="/admin/places/{ancestor.id}"' in page
    county_page = client.get(f"/admin/places/{places.county_a.id}").get_data(as_text=True)
    assert "通州镇" in county_page and "Schools in" not in county_page


def test_village_page_has_no_new_area_button(client, users, places, login):
    login(users.admin)
    page = client.get(f"/admin/places/{places.vil_a1a.id}").get_data(as_text=True)
    assert f"/admin/places/{places.vil_a1a.id}/new" not in page
    assert client.get(f"/admin/places/{places.vil_a1a.id}/new").status_code == 404
    assert client.get(f"/admin/places/{places.county_a.id}/schools/new").status_code == 404


# --- areas ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "parent_name, code, level",
    [
        ("province", "522600000000", "city"),
        ("city", "522729000000", "county"),
        ("county_a", "522727102000", "township"),
        ("town_a1", "522727100203", "village"),
    ],
)
def test_create_area_fills_path_county_and_township(client, users, places, login, parent_name, code, level):
    parent = getattr(places, parent_name)
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/places/{parent.id}/new", data={"name": "新区划", "code": code})
    assert response.status_code == 302, response.get_data(as_text=True)
    area = _area(code)
    assert response.headers["Location"] == f"/admin/places/{area.id}"
    assert (area.level, area.parent_id, area.is_active) == (level, parent.id, True)
    assert area.path == f"{parent.path}{area.id}."
    assert area.county_id == (area.id if level == "county" else parent.county_id)
    assert area.township_id == (area.id if level == "township" else parent.township_id)
    entries = audit_since(before)
    assert [(e.kind, e.module, e.target_type, e.target_id) for e in entries] == [("create", "places", "Area", area.id)]
    assert entries[0].data["after"]["code"] == code


def test_new_village_matches_the_fixture_villages(client, users, places, login):
    login(users.admin)
    client.post(f"/admin/places/{places.town_a1.id}/new", data={"name": "新村", "code": "522727100203"})
    area = _area("522727100203")
    assert (area.county_id, area.township_id) == (places.vil_a1a.county_id, places.vil_a1a.township_id)
    assert area.path.rsplit(".", 2)[0] == places.vil_a1a.path.rsplit(".", 2)[0]


@pytest.mark.parametrize(
    "code, message",
    [
        ("522727100201", "Another area already has the code 522727100201."),
        ("52272710020", "The division code has 12 digits."),
        ("52272710020x", "The division code has 12 digits."),
        ("522728100209", "The code of an area under 通州镇 begins with 522727100."),
        ("522727100000", "The code of an area under 通州镇 begins with 522727100."),
    ],
)
def test_create_area_code_rules(client, users, places, login, code, message):
    login(users.admin)
    before = last_audit_id()
    count = _count(Area)
    response = client.post(f"/admin/places/{places.town_a1.id}/new", data={"name": "新村", "code": code})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'class="error"' in page
    db.session.expire_all()
    assert _count(Area) == count
    assert audit_since(before) == []


def test_create_area_needs_a_name(client, users, places, login):
    login(users.admin)
    response = client.post(f"/admin/places/{places.town_a1.id}/new", data={"name": " ", "code": "522727100203"})
    assert response.status_code == 422
    assert "This field is required." in response.get_data(as_text=True)
    assert _area("522727100203") is None


def test_create_area_under_a_deactivated_area(client, users, places, login):
    places.vil_a1a.is_active = False
    places.vil_a1b.is_active = False
    places.school_a1.is_active = False
    places.school_a1j.is_active = False
    db.session.flush()
    for user in (users.teacher, users.teacher2, users.school_admin, users.township_official, users.village_cadre):
        user.is_active = False
    places.town_a1.is_active = False
    db.session.flush()
    login(users.admin)
    response = client.post(f"/admin/places/{places.town_a1.id}/new", data={"name": "新村", "code": "522727100203"})
    assert response.status_code == 422
    assert "通州镇 is deactivated; reactivate it first." in response.get_data(as_text=True)
    assert _area("522727100203") is None


def test_rename_area(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/places/{places.vil_a1a.id}/edit", data={"name": "新场社区"})
    assert response.status_code == 302
    assert _area(places.vil_a1a.code).name == "新场社区"
    entries = audit_since(before)
    assert [e.kind for e in entries] == ["change"]
    assert entries[0].data == {"before": {"name": "新场村"}, "after": {"name": "新场社区"}}


def test_rename_area_to_the_same_name_writes_nothing(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    assert client.post(f"/admin/places/{places.vil_a1a.id}/edit", data={"name": "新场村"}).status_code == 302
    assert audit_since(before) == []


def test_deactivate_and_reactivate_an_area(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/places/{places.vil_a1b.id}/deactivate", follow_redirects=True)
    assert "平里村 was deactivated." in response.get_data(as_text=True)
    assert not _area(places.vil_a1b.code).is_active
    assert [e.kind for e in audit_since(before)] == ["deactivate"]
    before = last_audit_id()
    response = client.post(f"/admin/places/{places.vil_a1b.id}/reactivate", follow_redirects=True)
    assert "平里村 was reactivated." in response.get_data(as_text=True)
    assert _area(places.vil_a1b.code).is_active
    assert [e.kind for e in audit_since(before)] == ["reactivate"]


def test_deactivation_refused_while_active_users_work_there(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/places/{places.vil_a1a.id}/deactivate", follow_redirects=True)
    assert "新场村 still has active users (1)" in response.get_data(as_text=True)
    assert _area(places.vil_a1a.code).is_active
    assert audit_since(before) == []


def test_deactivation_refused_while_child_areas_are_active(client, users, places, login):
    users.other_county_reviewer.is_active = False
    db.session.flush()
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/places/{places.county_b.id}/deactivate", follow_redirects=True)
    assert "罗甸县 still has active areas under it (1)" in response.get_data(as_text=True)
    assert _area(places.county_b.code).is_active
    assert audit_since(before) == []


def test_township_deactivation_refused_while_schools_are_active(client, users, places, login):
    places.vil_b1a.is_active = False
    db.session.flush()
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/places/{places.town_b1.id}/deactivate", follow_redirects=True)
    assert "龙坪镇 still has active schools (1)" in response.get_data(as_text=True)
    assert _area(places.town_b1.code).is_active
    assert audit_since(before) == []


def test_reactivation_refused_while_the_parent_is_deactivated(client, users, places, login):
    places.vil_b1a.is_active = False
    places.school_b1.is_active = False
    places.town_b1.is_active = False
    db.session.flush()
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/places/{places.vil_b1a.id}/reactivate", follow_redirects=True)
    assert "龙坪镇 is deactivated; reactivate it first." in response.get_data(as_text=True)
    assert not _area(places.vil_b1a.code).is_active
    assert audit_since(before) == []


def test_deactivated_place_cannot_take_new_users(client, users, places, login):
    login(users.admin)
    client.post(f"/admin/places/{places.vil_a1b.id}/deactivate")
    response = client.post(
        "/admin/users/new",
        data={
            "username": "cadre_new",
            "full_name": "新干部",
            "role": "village_cadre",
            "place": places.vil_a1b.code,
            "password": "a-long-password",
            "confirm": "a-long-password",
        },
    )
    assert response.status_code == 422
    assert "平里村 is deactivated." in response.get_data(as_text=True)


# --- schools -------------------------------------------------------------------------------


def test_create_school(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(
        f"/admin/places/{places.town_a1.id}/schools/new",
        data={"name": "通州镇第二小学", "code": "2152000103", "kind": "primary"},
    )
    assert response.status_code == 302
    school = _school("2152000103")
    assert response.headers["Location"] == f"/admin/schools/{school.id}"
    assert (school.township_id, school.county_id, school.kind, school.is_active) == (
        places.town_a1.id,
        places.county_a.id,
        "primary",
        True,
    )
    entries = audit_since(before)
    assert [(e.kind, e.module, e.target_type, e.target_id) for e in entries] == [
        ("create", "places", "School", school.id)
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"code": "2152000101"}, "Another school already has the code 2152000101."),
        ({"code": "215200010"}, "The school identification code has 10 digits."),
        ({"kind": "university"}, "Not a valid choice."),
        ({"name": ""}, "This field is required."),
    ],
)
def test_create_school_rules(client, users, places, login, data, message):
    login(users.admin)
    before = last_audit_id()
    count = _count(School)
    form = {"name": "通州镇第二小学", "code": "2152000103", "kind": "primary", **data}
    response = client.post(f"/admin/places/{places.town_a1.id}/schools/new", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert _count(School) == count
    assert audit_since(before) == []


def test_edit_school(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(
        f"/admin/schools/{places.school_a1j.id}/edit",
        data={"name": "通州镇九年制学校", "code": "2152000102", "kind": "nine_year"},
    )
    assert response.status_code == 302
    school = _school("2152000102")
    assert (school.name, school.kind) == ("通州镇九年制学校", "nine_year")
    entries = audit_since(before)
    assert [e.kind for e in entries] == ["change"]
    assert entries[0].data["after"] == {"name": "通州镇九年制学校", "kind": "nine_year"}


def test_edit_school_refuses_a_taken_code(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(
        f"/admin/schools/{places.school_a1j.id}/edit",
        data={"name": "通州镇中学", "code": "2152000101", "kind": "junior"},
    )
    assert response.status_code == 422
    assert "Another school already has the code 2152000101." in response.get_data(as_text=True)
    assert _school("2152000102") is not None
    assert audit_since(before) == []


def test_deactivate_school_refused_while_users_work_there(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/schools/{places.school_a1.id}/deactivate", follow_redirects=True)
    assert "通州镇中心小学 still has active users (3)" in response.get_data(as_text=True)
    assert _school(places.school_a1.code).is_active
    assert audit_since(before) == []


def test_deactivate_and_reactivate_a_school(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/schools/{places.school_a1j.id}/deactivate", follow_redirects=True)
    assert "通州镇中学 was deactivated." in response.get_data(as_text=True)
    assert not _school(places.school_a1j.code).is_active
    response = client.post(f"/admin/schools/{places.school_a1j.id}/reactivate", follow_redirects=True)
    assert "通州镇中学 was reactivated." in response.get_data(as_text=True)
    assert _school(places.school_a1j.code).is_active
    assert [e.kind for e in audit_since(before)] == ["deactivate", "reactivate"]


def test_school_deactivation_allowed_once_its_users_are_deactivated(client, users, places, login):
    login(users.admin)
    for user in (users.teacher, users.teacher2, users.school_admin):
        assert client.post(f"/admin/users/{user.id}/deactivate", data={"confirm": "1"}).status_code == 302
    response = client.post(f"/admin/schools/{places.school_a1.id}/deactivate", follow_redirects=True)
    assert "通州镇中心小学 was deactivated." in response.get_data(as_text=True)
