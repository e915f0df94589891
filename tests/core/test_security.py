"""Security headers on every page, CSRF on every form, and the health check."""

import re

import pytest
from sqlalchemy import func, select

from caseworks.core.audit import AuditEntry
from caseworks.extensions import db
from tests.fixtures.users import PASSWORD

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def assert_security_headers(response):
    for name, value in COMMON_HEADERS.items():
        assert response.headers.get(name) == value, name
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives.get("default-src") == "'self'"
    assert directives.get("script-src") == "'self'"
    assert directives.get("frame-ancestors") == "'none'"
    assert directives.get("form-action") == "'self'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "Permissions-Policy" in response.headers


def test_login_page_has_security_headers(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_security_headers(response)
    # nothing personal on the login page: it may be cached like any public page
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_logged_in_pages_have_security_headers_and_are_not_stored(client, users, login):
    login(users.school_admin)
    for url in ("/", "/login"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert_security_headers(response)
        assert response.headers.get("Cache-Control") == "no-store", url
    home = client.get("/", follow_redirects=True)
    assert home.status_code == 200
    assert_security_headers(home)
    assert home.headers.get("Cache-Control") == "no-store"


def test_error_pages_have_security_headers(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert_security_headers(response)


def test_session_cookie_is_http_only_and_same_site(client, users):
    response = client.post("/login", data={"username": users.teacher.username, "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def logins():
    return db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.kind == "login"))


def test_login_without_csrf_token_is_refused(csrf_app, users):
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": users.teacher.username, "password": PASSWORD})
    assert response.status_code == 400
    assert logins() == 0
    # still not logged in
    assert client.get("/").headers["Location"].startswith("/login")


def test_login_with_a_wrong_csrf_token_is_refused(csrf_app, users):
    client = csrf_app.test_client()
    client.get("/login")
    response = client.post(
        "/login", data={"username": users.teacher.username, "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400
    assert logins() == 0


def test_login_with_the_form_token_works(csrf_app, users):
    client = csrf_app.test_client()
    html = client.get("/login").get_data(as_text=True)
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the login form carries a CSRF token"
    response = client.post(
        "/login", data={"username": users.teacher.username, "password": PASSWORD, "csrf_token": match.group(1)}
    )
    assert response.status_code == 302
    assert logins() == 1


def test_logout_without_csrf_token_does_not_log_out(csrf_app, users):
    client = csrf_app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    client.post("/login", data={"username": users.teacher.username, "password": PASSWORD, "csrf_token": token})
    assert client.post("/logout").status_code == 400
    # the session lives on
    assert not client.get("/").headers["Location"].startswith("/login")


@pytest.mark.parametrize("url", ["/healthz"])
def test_healthz_reports_ok_as_json(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"status": "ok", "database": "ok"}
    assert_security_headers(response)


def test_language_switch_returns_to_the_page(client):
    response = client.post("/lang/en", data={"next": "/cases?stage=returned"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/cases?stage=returned"


@pytest.mark.parametrize("next_value", ["//evil.example", "https://evil.example"])
def test_language_switch_returns_only_to_local_pages(client, next_value):
    response = client.post("/lang/en", data={"next": next_value})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


@pytest.mark.parametrize("next_value", ["/\t/evil.example", "/\r\n/evil.example"], ids=["tab", "crlf"])
def test_language_switch_refuses_control_characters_in_next(client, next_value):
    response = client.post("/lang/en", data={"next": next_value})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil.example" not in location
