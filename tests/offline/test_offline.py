"""The phone app's server side: who opens the new pages, the service worker and its version,
the manifest, the list of pages kept on the phone, the visit POST as the outbox sends it (with
the session, as a form with photos), and logout telling the browser to forget."""

import io
import uuid
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from caseworks.core import clock
from caseworks.core.choices import Line, Stage
from caseworks.extensions import db
from caseworks.offline import shell
from caseworks.visits import operations
from caseworks.visits.models import Visit, VisitPhoto

OUTBOX = {"X-Caseworks-Outbox": "1"}


@pytest.fixture
def case(make_case, users):
    return make_case(teacher=users.teacher, cadre=users.village_cadre, opened_date=clock.today() - timedelta(days=20))


def _form(**overrides):
    data = {
        "client_uuid": str(uuid.uuid4()),
        "visit_date": clock.today().isoformat(),
        "method": "home_visit",
        "visitors": "teacher",
        "findings": "入户：孩子在家帮忙干农活。",
        "outcome": "refused",
    }
    data.update(overrides)
    return data


def _jpeg(size=(1600, 1200)):
    out = io.BytesIO()
    Image.new("RGB", size, (90, 120, 150)).save(out, "JPEG")
    return out.getvalue()


def _done_visits(**where):
    stmt = select(func.count()).select_from(Visit).where(Visit.done_dt.is_not(None))
    for name, value in where.items():
        stmt = stmt.where(getattr(Visit, name) == value)
    return db.session.scalar(stmt)


# --- who opens what ------------------------------------------------------------------------

OUTBOX_USERS = ("teacher", "village_cadre", "school_admin", "township_official")


@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest", "/offline"])
@pytest.mark.parametrize("who", [None, "teacher", "county_reviewer", "admin"])
def test_the_shell_is_public_and_holds_no_ones_data(client, users, login, path, who):
    if who:
        login(getattr(users, who))
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    if who:
        assert getattr(users, who).full_name not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/outbox", "/offline/pages.json"])
@pytest.mark.parametrize(
    "who,status",
    [(None, 302), *((role, 200) for role in OUTBOX_USERS), ("county_reviewer", 403), ("admin", 403)],
)
def test_the_outbox_pages_are_for_those_who_log_visits(client, users, login, path, who, status):
    if who:
        login(getattr(users, who))
    response = client.get(path)
    assert response.status_code == status
    if status == 302:
        assert "/login" in response.headers["Location"]


def test_the_pages_kept_on_the_phone_are_the_users_own(client, users, login, case, make_case, foreign_case):
    unassigned = make_case()
    planned_for_teacher = make_case(cadre=users.village_cadre)
    operations.plan_visit(
        planned_for_teacher, {"due_date": clock.today(), "assignee_id": users.village_cadre.id}, users.village_cadre
    )
    closed = make_case(teacher=users.teacher, stage=Stage.CLOSED)
    login(users.teacher)
    listed = client.get("/offline/pages.json").get_json()
    assert listed["user"] == users.teacher.id
    assert listed["pages"] == ["/visits/mine", "/outbox", f"/cases/{case.id}", f"/cases/{case.id}/visits/new"]
    login(users.village_cadre)
    pages = client.get("/offline/pages.json").get_json()["pages"]
    assert f"/cases/{case.id}" in pages and f"/cases/{planned_for_teacher.id}" in pages
    for other in (unassigned, foreign_case, closed):
        assert f"/cases/{other.id}" not in pages


def test_the_kept_case_page_shows_no_full_id_number(client, users, login, case):
    login(users.teacher)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.child.masked_id_number in page and case.child.id_number not in page


# --- the service worker, its version, the manifest -------------------------------------------


def test_the_service_worker_names_its_release_and_shell(client):
    body = client.get("/sw.js").get_data(as_text=True)
    assert body.startswith(f'const SHELL = {{"version": "{shell.version()}"')
    for url in ("/static/app.css", "/static/js/outbox.js", "/static/icons/icon-192.png", "/offline"):
        assert f'"{url}"' in body
    assert "caseworks-shell-" in body


def test_a_changed_shell_file_is_a_new_version(tmp_path, monkeypatch):
    (tmp_path / "js").mkdir()
    (tmp_path / "app.css").write_text("a {}")
    (tmp_path / "js" / "outbox.js").write_text("// one")
    (tmp_path / "sw.js").write_text("// worker")
    monkeypatch.setattr(shell, "STATIC", tmp_path)
    monkeypatch.setattr(shell, "ROOT", tmp_path)
    monkeypatch.setattr(shell, "VERSIONED", [])
    shell.version.cache_clear()
    try:
        first = shell.version()
        shell.version.cache_clear()
        assert shell.version() == first
        (tmp_path / "js" / "outbox.js").write_text("// two")
        shell.version.cache_clear()
        assert shell.version() != first
    finally:
        shell.version.cache_clear()


def test_the_manifest_makes_the_app_installable(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json(force=True)
    assert body["start_url"] == "/visits/mine" and body["display"] == "standalone"
    assert {i["sizes"] for i in body["icons"]} == {"192x192", "512x512"}
    for icon in body["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200
        response.close()
    with client.session_transaction() as session:
        session["lang"] = "zh_CN"
    assert client.get("/manifest.webmanifest").get_json(force=True)["name"] == "控辍保学"


def test_every_page_links_the_manifest(client):
    assert 'rel="manifest" href="/manifest.webmanifest"' in client.get("/login").get_data(as_text=True)


# --- the visit POST as the outbox sends it ---------------------------------------------------


def test_the_outbox_sends_with_the_session_as_a_form_with_photos(client, users, login, case):
    login(users.teacher)
    data = _form()
    data["photos"] = (io.BytesIO(_jpeg()), "photo-1.jpg")
    response = client.post(f"/api/v1/cases/{case.id}/visits", data=data, headers=OUTBOX)
    assert response.status_code == 201
    visit = db.session.get(Visit, response.get_json()["id"])
    assert visit.client_uuid == data["client_uuid"] and visit.visitors == ["teacher"]
    photos = db.session.scalars(select(VisitPhoto).where(VisitPhoto.visit_id == visit.id)).all()
    assert [p.content_type for p in photos] == ["image/jpeg"]


def test_the_session_alone_or_from_elsewhere_opens_nothing(client, users, login, case):
    url = f"/api/v1/cases/{case.id}/visits"
    assert client.post(url, data=_form(), headers=OUTBOX).status_code == 401  # no login
    login(users.teacher)
    assert client.post(url, data=_form()).status_code == 401  # a cookie without the outbox header
    assert client.post(url, data=_form(), headers={**OUTBOX, "Origin": "https://evil.example"}).status_code == 403
    assert client.post(url, data=_form(), headers={**OUTBOX, "Sec-Fetch-Site": "cross-site"}).status_code == 403
    # typed by someone else on this phone: the session of the one logged in now does not send it
    other = {**OUTBOX, "X-Caseworks-User": str(users.teacher2.id)}
    assert client.post(url, data=_form(), headers=other).status_code == 401
    same = {**OUTBOX, "X-Caseworks-User": str(users.teacher.id), "Origin": "http://localhost"}
    assert client.post(url, data=_form(), headers=same).status_code == 201
    assert _done_visits() == 1


def test_an_app_of_a_dropped_protocol_is_told_to_update(client, users, login, case):
    login(users.teacher)
    response = client.post(f"/api/v1/cases/{case.id}/visits", data=_form(), headers={"X-Caseworks-Outbox": "0"})
    assert response.status_code == 426 and _done_visits() == 0


def test_an_ended_session_keeps_the_visit_waiting(client, users, login, case):
    login(users.teacher)
    client.post("/logout")
    assert client.post(f"/api/v1/cases/{case.id}/visits", data=_form(), headers=OUTBOX).status_code == 401


def test_refusals_of_the_content_are_by_field(client, users, login, case, foreign_case):
    login(users.teacher)
    url = f"/api/v1/cases/{case.id}/visits"
    refused = client.post(url, data=_form(outcome=""), headers=OUTBOX)
    assert refused.status_code == 422 and "outcome" in refused.get_json()["fields"]
    not_a_photo = _form(photos=(io.BytesIO(b"MZ not an image"), "photo-1.jpg"))
    assert "photos" in client.post(url, data=not_a_photo, headers=OUTBOX).get_json()["fields"]
    # the case was transferred out of the teacher's hands meanwhile: 404, needs attention
    assert client.post(f"/api/v1/cases/{foreign_case.id}/visits", data=_form(), headers=OUTBOX).status_code == 404
    case.stage = Stage.CLOSED
    db.session.flush()
    closed = client.post(url, data=_form(), headers=OUTBOX)
    assert closed.status_code == 422 and "case" in closed.get_json()["fields"]
    assert _done_visits() == 0


def test_ten_sends_of_one_visit_record_it_once(client, users, login, case):
    login(users.teacher)
    data = _form()
    statuses = [
        client.post(f"/api/v1/cases/{case.id}/visits", data=dict(data), headers=OUTBOX).status_code for _ in range(10)
    ]
    assert statuses == [201] + [200] * 9
    assert _done_visits(client_uuid=data["client_uuid"]) == 1


def test_a_planned_visit_logged_meanwhile_leaves_the_typed_one_standing(client, users, login, case):
    planned = next(v for v in operations.ensure_planned(case) if v.line == Line.CADRE)
    done = {**_form(), "visit_date": clock.today(), "visitors": ["cadre"]}
    operations.log_visit(case, done, users.village_cadre, planned=planned, client_uuid=str(uuid.uuid4()))
    login(users.teacher)
    data = _form(planned_visit_id=str(planned.id))
    response = client.post(f"/api/v1/cases/{case.id}/visits", data=data, headers=OUTBOX)
    assert response.status_code == 201 and response.get_json()["id"] != planned.id
    # and a resend of it is recognised, not logged a third time
    again = client.post(f"/api/v1/cases/{case.id}/visits", data=data, headers=OUTBOX)
    assert again.status_code == 200 and again.get_json()["id"] == response.get_json()["id"]


# --- logout ----------------------------------------------------------------------------------


def test_logout_tells_the_browser_to_forget_what_it_kept(client, users, login):
    login(users.teacher)
    response = client.post("/logout")
    assert response.status_code == 302
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_a_copy_kept_by_the_phone_leaves_the_messages_for_the_next_page(client, users, login):
    login(users.teacher)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "A message for the next page")]
    kept = client.get("/visits/mine", headers={"X-Caseworks-Keep": "1"}).get_data(as_text=True)
    assert "A message for the next page" not in kept
    assert "A message for the next page" in client.get("/visits/mine").get_data(as_text=True)
