"""User administration: /admin/users."""

import pytest
from sqlalchemy import select

from caseworks.accounts.models import User
from caseworks.core.choices import Role
from caseworks.extensions import db
from tests.accounts.helpers import audit_since, last_audit_id
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

NON_ADMIN_ROLES = ["teacher", "village_cadre", "school_admin", "township_official", "county_reviewer"]

GET_URLS = [
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/users/{user}/edit",
    "/admin/users/{user}/password",
]
POST_URLS = [
    "/admin/users/new",
    "/admin/users/{user}/edit",
    "/admin/users/{user}/deactivate",
    "/admin/users/{user}/reactivate",
    "/admin/users/{user}/password",
]


def _url(template, users):
    return template.format(user=users.teacher.id)


def _user(username):
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def test_anonymous_goes_to_login(client, users):
    requests = [(client.get, url) for url in GET_URLS] + [(client.post, url) for url in POST_URLS]
    for method, url in requests:
        response = method(_url(url, users))
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_other_roles_get_403(client, users, login, role):
    login(getattr(users, role))
    before = last_audit_id()
    for url in GET_URLS:
        assert client.get(_url(url, users)).status_code == 403, url
    for url in POST_URLS:
        assert client.post(_url(url, users), data={"full_name": "x"}).status_code == 403, url
    assert audit_since(before) == []
    assert _user("teacher_a").is_active


@pytest.mark.parametrize("url", GET_URLS)
def test_admin_gets_the_pages(client, users, login, url):
    login(users.admin)
    response = client.get(_url(url, users))
    assert response.status_code == 200


def test_user_outside_the_admins_area_is_404(client, users, places, make_user, login):
    county_b_admin = make_user(Role.ADMIN, places.county_b, "admin_b")
    login(county_b_admin)
    before = last_audit_id()
    for url in GET_URLS[2:]:
        assert client.get(_url(url, users)).status_code == 404, url
    for url in POST_URLS[1:]:
        assert client.post(_url(url, users)).status_code == 404, url
    assert client.get("/admin/users/999999").status_code == 404
    assert audit_since(before) == []
    assert _user("teacher_a").is_active


def test_admin_navigation_links(client, users, login):
    login(users.admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/users"' in page
    assert 'href="/admin/places"' in page


def test_admin_lands_on_the_user_list(client, users):
    response = client.post("/login", data={"username": "admin_p", "password": PASSWORD})
    assert response.headers["Location"] == "/admin/users"


# --- list ----------------------------------------------------------------------------------


def test_list_shows_users_in_the_area_only(client, users, places, make_user, login):
    make_user(Role.TEACHER, places.school_b1, "teacher_in_b")
    county_a_admin = make_user(Role.ADMIN, places.county_a, "admin_a")
    login(county_a_admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "teacher_a" in page
    assert "principal_b" in page
    assert "teacher_in_b" not in page
    assert "reviewer_b" not in page
    assert "admin_p" not in page


def test_list_filters(client, users, login):
    login(users.admin)
    page = client.get("/admin/users?role=county_reviewer").get_data(as_text=True)
    assert "reviewer_a" in page and "teacher_a" not in page
    page = client.get("/admin/users?q=principal").get_data(as_text=True)
    assert "principal_a" in page and "principal_b" in page and "cadre_a" not in page
    users.teacher.is_active = False
    db.session.flush()
    page = client.get("/admin/users?status=inactive").get_data(as_text=True)
    assert "teacher_a<" in page and "cadre_a<" not in page
    page = client.get("/admin/users?status=active").get_data(as_text=True)
    assert "teacher_a<" not in page and "cadre_a<" in page


def test_list_search_treats_wildcards_literally(client, users, login):
    login(users.admin)
    page = client.get("/admin/users?q=%25").get_data(as_text=True)
    assert "No users match these filters." in page


def test_list_paginates(client, users, places, make_user, login):
    for n in range(30):
        make_user(Role.TEACHER, places.school_a1, f"bulk{n:02d}")
    login(users.admin)
    first = client.get("/admin/users?q=bulk").get_data(as_text=True)
    assert "bulk00" in first and "bulk29" not in first
    assert "Page 1 of 2" in first
    assert "/admin/users?q=bulk&amp;page=2" in first or "/admin/users?page=2&amp;q=bulk" in first
    second = client.get("/admin/users?q=bulk&page=2").get_data(as_text=True)
    assert "bulk29" in second and "bulk00" not in second


# --- create --------------------------------------------------------------------------------


def _new_user(**overrides):
    data = {
        "username": "li.hua-2",
        "full_name": "李华",
        "phone": "13912345678",
        "email": "lihua@example.cn",
        "role": "teacher",
        "place": "2152000101",
        "password": "a-long-password",
        "confirm": "a-long-password",
    }
    data.update(overrides)
    return data


def test_create_user(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post("/admin/users/new", data=_new_user())
    assert response.status_code == 302
    user = _user("li.hua-2")
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert (user.full_name, user.role, user.school_id, user.area_id) == ("李华", "teacher", places.school_a1.id, None)
    assert user.phone == "13912345678" and user.email == "lihua@example.cn"
    assert user.is_active and user.check_password("a-long-password")
    entries = audit_since(before)
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.kind, entry.module, entry.target_type, entry.target_id) == ("create", "accounts", "User", user.id)
    assert entry.user_id == users.admin.id
    assert entry.data["after"]["username"] == "li.hua-2"
    assert "password" not in str(entry.data) and "a-long-password" not in str(entry.data)
    assert user.password_hash not in str(entry.data)


@pytest.mark.parametrize(
    "role, code",
    [
        ("village_cadre", "522727100201"),
        ("township_official", "522727100000"),
        ("county_reviewer", "522727000000"),
        ("county_reviewer", "522700000000"),
        ("admin", "522727100201"),
        ("school_admin", "2152000102"),
    ],
)
def test_create_user_at_each_level(client, users, login, role, code):
    login(users.admin)
    response = client.post("/admin/users/new", data=_new_user(role=role, place=code))
    assert response.status_code == 302, response.get_data(as_text=True)
    user = _user("li.hua-2")
    place = user.school or user.area
    assert place.code == code and user.role == role


def test_create_form_prefills_the_place(client, users, login):
    login(users.admin)
    page = client.get("/admin/users/new?place=2152000101&role=teacher").get_data(as_text=True)
    assert 'value="2152000101"' in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"username": "teacher_a"}, "The username teacher_a is already taken."),
        ({"username": "Li Hua"}, "Use 3 to 64 characters: lower-case letters, digits, _ . -"),
        ({"username": "李华"}, "Use 3 to 64 characters: lower-case letters, digits, _ . -"),
        ({"username": "ab"}, "Use 3 to 64 characters: lower-case letters, digits, _ . -"),
        ({"username": "a" * 65}, "Use 3 to 64 characters: lower-case letters, digits, _ . -"),
        ({"role": "village_cadre", "place": "522727100000"}, "Village cadre works at the level of: Village."),
        ({"role": "township_official", "place": "522727100201"}, "Township official works at the level of: Township."),
        (
            {"role": "county_reviewer", "place": "522727100000"},
            "County reviewer works at the level of: County / City / Province.",
        ),
        (
            {"role": "teacher", "place": "522727100201"},
            "Assigned teacher works at a school: enter the 10-digit school identification code.",
        ),
        ({"role": "township_official", "place": "2152000101"}, "Township official works in an area, not at a school"),
        ({"place": "2152009999"}, "No area or school has this code."),
        ({"place": "12345"}, "Choose the place where the user works."),
        ({"password": "short-pw", "confirm": "short-pw"}, "The password needs at least 10 characters."),
        ({"confirm": "another-long-password"}, "The two passwords differ."),
        ({"phone": "1381234567"}, "Enter an 11-digit mobile number"),
        ({"phone": "23812345678"}, "Enter an 11-digit mobile number"),
        ({"email": "not-an-address"}, "Enter an e-mail address like name@example.cn."),
        ({"full_name": ""}, "This field is required."),
    ],
)
def test_create_user_rules(client, users, login, overrides, message):
    login(users.admin)
    before = last_audit_id()
    count = len(db.session.scalars(select(User.id)).all())
    response = client.post("/admin/users/new", data=_new_user(**overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'class="error"' in page  # next to the field
    db.session.expire_all()
    assert len(db.session.scalars(select(User.id)).all()) == count
    assert audit_since(before) == []


def test_create_user_outside_the_admins_area(client, places, make_user, users, login):
    login(make_user(Role.ADMIN, places.county_a, "admin_a"))
    before = last_audit_id()
    response = client.post("/admin/users/new", data=_new_user(place=places.school_b1.code))
    assert response.status_code == 422
    assert "This place lies outside your area of work." in response.get_data(as_text=True)
    response = client.post("/admin/users/new", data=_new_user(role="admin", place=places.province.code))
    assert "This place lies outside your area of work." in response.get_data(as_text=True)
    assert _user("li.hua-2") is None
    assert audit_since(before) == []


def test_create_user_at_a_deactivated_place(client, places, users, login):
    places.school_a1j.is_active = False
    db.session.flush()
    login(users.admin)
    response = client.post("/admin/users/new", data=_new_user(place=places.school_a1j.code))
    assert response.status_code == 422
    assert "通州镇中学 is deactivated." in response.get_data(as_text=True)
    assert _user("li.hua-2") is None


def test_double_submit_creates_one_user(client, users, login):
    login(users.admin)
    before = last_audit_id()
    assert client.post("/admin/users/new", data=_new_user()).status_code == 302
    again = client.post("/admin/users/new", data=_new_user())
    assert again.status_code == 422
    assert "The username li.hua-2 is already taken." in again.get_data(as_text=True)
    db.session.expire_all()
    assert len(db.session.scalars(select(User).where(User.username == "li.hua-2")).all()) == 1
    assert len(audit_since(before)) == 1


def test_create_form_needs_a_csrf_token(csrf_app, users):
    client = csrf_app.test_client()
    client.post("/login", data={"username": "admin_p", "password": PASSWORD})  # refused too: no token
    response = client.post("/admin/users/new", data=_new_user())
    assert response.status_code in (302, 400)
    assert _user("li.hua-2") is None


# --- edit ----------------------------------------------------------------------------------


def test_edit_user(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(
        f"/admin/users/{users.teacher.id}/edit",
        data={
            "full_name": "王老师",
            "phone": "",
            "email": "",
            "role": "school_admin",
            "place": places.school_a2.code,
        },
    )
    assert response.status_code == 302
    user = _user("teacher_a")
    assert (user.full_name, user.role, user.school_id) == ("王老师", "school_admin", places.school_a2.id)
    entries = audit_since(before)
    assert len(entries) == 1
    assert entries[0].kind == "change"
    assert entries[0].data["before"]["role"] == "teacher"
    assert entries[0].data["after"]["school_id"] == places.school_a2.id


def test_edit_user_to_an_area_role(client, users, places, login):
    login(users.admin)
    response = client.post(
        f"/admin/users/{users.teacher.id}/edit",
        data={
            "full_name": "王老师",
            "role": "village_cadre",
            "place": places.vil_a1b.code,
        },
    )
    assert response.status_code == 302
    user = _user("teacher_a")
    assert (user.role, user.area_id, user.school_id) == ("village_cadre", places.vil_a1b.id, None)


def test_edit_user_prefills_the_form(client, users, login):
    login(users.admin)
    page = client.get(f"/admin/users/{users.village_cadre.id}/edit").get_data(as_text=True)
    assert 'value="522727100201"' in page


def test_edit_user_refuses_a_wrong_place(client, users, places, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(
        f"/admin/users/{users.teacher.id}/edit",
        data={
            "full_name": "王老师",
            "role": "teacher",
            "place": places.vil_a1a.code,
        },
    )
    assert response.status_code == 422
    assert "works at a school" in response.get_data(as_text=True)
    user = _user("teacher_a")
    assert user.full_name != "王老师" and user.school_id == users.teacher.school_id
    assert audit_since(before) == []


def test_edit_without_changes_writes_no_audit(client, users, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(
        f"/admin/users/{users.teacher.id}/edit",
        data={
            "full_name": users.teacher.full_name,
            "role": "teacher",
            "place": users.teacher.school.code,
        },
    )
    assert response.status_code == 302
    assert audit_since(before) == []


def test_admin_cannot_change_own_role(client, users, login):
    login(users.admin)
    response = client.post(
        f"/admin/users/{users.admin.id}/edit",
        data={
            "full_name": "管理员",
            "role": "county_reviewer",
            "place": "522727000000",
        },
    )
    assert response.status_code == 422
    assert "You cannot change your own role." in response.get_data(as_text=True)
    assert _user("admin_p").role == "admin"


# --- deactivate, reactivate, password ------------------------------------------------------


def test_deactivation_ends_the_session_and_blocks_login(app, client, users, login):
    teacher_client = app.test_client()
    assert teacher_client.post("/login", data={"username": "teacher_a", "password": PASSWORD}).status_code == 302
    assert teacher_client.get("/admin/users").status_code == 403  # logged in, just not an admin
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/users/{users.teacher.id}/deactivate", data={"confirm": "1"}, follow_redirects=True)
    assert "was deactivated." in response.get_data(as_text=True)
    user = _user("teacher_a")
    assert not user.is_active and user.session_version == 2
    entries = audit_since(before)
    assert [(e.kind, e.target_id) for e in entries] == [("deactivate", user.id)]
    # their next request finds the session over
    response = teacher_client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    # and they cannot log in again
    refused = app.test_client().post("/login", data={"username": "teacher_a", "password": PASSWORD})
    assert refused.status_code == 200
    assert "Wrong username or password." in refused.get_data(as_text=True)


def test_deactivation_revokes_the_api_token(client, users, login):
    users.teacher.api_token_hash = User.hash_token("secret-token")
    db.session.flush()
    login(users.admin)
    client.post(f"/admin/users/{users.teacher.id}/deactivate", data={"confirm": "1"})
    assert _user("teacher_a").api_token_hash is None


def test_admin_cannot_deactivate_themselves(client, users, login):
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/users/{users.admin.id}/deactivate", data={"confirm": "1"}, follow_redirects=True)
    assert "You cannot deactivate your own account." in response.get_data(as_text=True)
    assert _user("admin_p").is_active
    assert audit_since(before) == []
    assert client.get("/admin/users").status_code == 200


def test_deactivating_twice_is_refused(client, users, login):
    login(users.admin)
    client.post(f"/admin/users/{users.teacher.id}/deactivate", data={"confirm": "1"})
    before = last_audit_id()
    response = client.post(f"/admin/users/{users.teacher.id}/deactivate", data={"confirm": "1"}, follow_redirects=True)
    assert "is already deactivated." in response.get_data(as_text=True)
    assert audit_since(before) == []


def test_reactivate(client, users, login):
    login(users.admin)
    client.post(f"/admin/users/{users.teacher.id}/deactivate", data={"confirm": "1"})
    before = last_audit_id()
    response = client.post(f"/admin/users/{users.teacher.id}/reactivate", follow_redirects=True)
    assert "was reactivated." in response.get_data(as_text=True)
    assert _user("teacher_a").is_active
    assert [e.kind for e in audit_since(before)] == ["reactivate"]
    assert client.post("/logout").status_code == 302
    assert client.post("/login", data={"username": "teacher_a", "password": PASSWORD}).status_code == 302


def test_reactivate_refused_while_the_place_is_deactivated(client, users, places, login):
    users.teacher.is_active = False
    places.school_a1.is_active = False
    db.session.flush()
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/users/{users.teacher.id}/reactivate", follow_redirects=True)
    assert "通州镇中心小学 is deactivated." in response.get_data(as_text=True)
    assert not _user("teacher_a").is_active
    assert audit_since(before) == []


def test_reset_password(app, client, users, login):
    teacher_client = app.test_client()
    teacher_client.post("/login", data={"username": "teacher_a", "password": PASSWORD})
    login(users.admin)
    before = last_audit_id()
    response = client.post(
        f"/admin/users/{users.teacher.id}/password",
        data={"password": "new-password-2026", "confirm": "new-password-2026"},
    )
    assert response.status_code == 302
    user = _user("teacher_a")
    assert user.check_password("new-password-2026") and user.session_version == 2
    entries = audit_since(before)
    assert [e.kind for e in entries] == ["password_reset"]
    assert "new-password-2026" not in str(entries[0].data)
    assert entries[0].data == {"sessions_ended": True, "token_revoked": True}
    assert teacher_client.get("/admin/users").status_code == 302


@pytest.mark.parametrize(
    "data, message",
    [
        ({"password": "short", "confirm": "short"}, "The password needs at least 10 characters."),
        ({"password": "new-password-2026", "confirm": "new-password-2027"}, "The two passwords differ."),
    ],
)
def test_reset_password_rules(client, users, login, data, message):
    login(users.admin)
    before = last_audit_id()
    response = client.post(f"/admin/users/{users.teacher.id}/password", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _user("teacher_a").check_password(PASSWORD)
    assert audit_since(before) == []


def test_admin_resetting_own_password_stays_logged_in(client, users, login):
    login(users.admin)
    response = client.post(
        f"/admin/users/{users.admin.id}/password",
        data={"password": "new-password-2026", "confirm": "new-password-2026"},
    )
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_user_page_shows_the_facts(client, users, login):
    login(users.admin)
    page = client.get(f"/admin/users/{users.teacher.id}").get_data(as_text=True)
    assert "teacher_a" in page and "通州镇中心小学" in page and "Assigned teacher" in page
    assert f"/admin/users/{users.teacher.id}/deactivate" in page
    own = client.get(f"/admin/users/{users.admin.id}").get_data(as_text=True)
    assert f"/admin/users/{users.admin.id}/deactivate" not in own
