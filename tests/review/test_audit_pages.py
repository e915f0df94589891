"""A case's history and the audit trail: readable entries, the reviewer's view of the trail,
filters, and the Excel export that writes itself into the trail."""

from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from caseworks.cases import operations as case_ops
from caseworks.core import audit, clock
from caseworks.core.audit import AuditEntry
from caseworks.extensions import db
from caseworks.ladder import transitions
from caseworks.review import readable
from tests.review.conftest import DAY0


def _edited(case, user, places):
    """A school administrator moves the case to another school and village (audited)."""
    data = {
        "name": case.child.name,
        "gender": case.child.gender,
        "birth_date": case.child.birth_date,
        "id_number": case.child.id_number,
        "student_no": None,
        "address": "平里村五组3号",
        "disability_type": None,
        "village_id": places.vil_a1b.id,
        "groups": ["left_behind"],
        "guardians": [{"name": "王大山", "relation": "father", "phone": "13900139000", "is_working_away": False}],
        "grade": "八年级",
        "class_name": None,
        "dropout_date": None,
        "situation": "",
        "plan_summary": "",
        "school_id": places.school_a1j.id,
        "reasons": ["poverty"],
    }
    villages = {"通州镇": [(places.vil_a1a.id, "新场村"), (places.vil_a1b.id, "平里村")]}
    case_ops.update_case(
        case, data, user, villages=villages, schools=[places.school_a1, places.school_a1j], version=case.version
    )


def test_history_shows_readable_labels_and_no_full_numbers(client, login, users, make_pending, places):
    case = make_pending()
    _edited(case, users.school_admin, places)
    case_ops.reveal_sensitive(case, users.teacher)
    transitions.apply(case, "send_back", users.county_reviewer, reason="缺少出勤记录")
    db.session.flush()
    login(users.township_official)  # any case role that sees the case
    response = client.get(f"/cases/{case.id}/history")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # field names and values as labels, not column names and codes
    for text in (
        "Address",
        "平里村五组3号",
        "School",
        "通州镇中学",
        "通州镇中心小学",
        "Household village",
        "平里村",
        "Reasons",
        "Family poverty",
        "Study aversion",
        "Special groups",
        "Left-behind",
        "Grade",
        "Send back: Pending review → Township persuasion",
        "Reason",
        "缺少出勤记录",
        "Viewed the full ID number and phone numbers",
        users.teacher.full_name,
        users.county_reviewer.full_name,
    ):
        assert text in page, text
    for code in ("school_id", "household_village_id", "pending_review</", "study_aversion<"):
        assert code not in page, code
    assert case.child.id_number not in page and "13900139000" not in page and "13800138000" not in page
    assert "139****9000" in page
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.case_id == case.id)).all()
    assert all(case.child.id_number not in str(e.data) for e in entries)


def test_history_is_scoped_like_the_case(client, login, users, own_case, foreign_case):
    login(users.teacher)
    assert client.get(f"/cases/{foreign_case.id}/history").status_code == 404
    assert client.get(f"/cases/{own_case.id}/history").status_code == 200
    login(users.admin)
    assert client.get(f"/cases/{own_case.id}/history").status_code == 403


def test_readable_values():
    names = readable.Names([])
    assert readable.format_value("stage", "returned", names) == "Returned, monitoring"
    assert readable.format_value("kind", "dropped_out", names) == "Dropped out"
    assert readable.format_value("outcome", "health_deferral", names) == "Deferred for health"
    assert readable.format_value("id_number", "522727201205170011", names) == "522727********0011"
    assert readable.format_value("is_active", False, names) == "No"
    assert readable.format_value("result", "not_found", names) == "Not found in school"
    assert readable.format_value("teacher_id", None, names) == "—"
    assert readable.field_label("cadre_id") == "Village cadre"
    assert readable.field_label("something_new") == "something_new"


def _entries_for_the_trail(users, make_pending, make_case, places):
    mine = make_pending()
    transitions.apply(mine, "approve_closure", users.county_reviewer)
    foreign = make_case(school=places.school_b1, village=places.vil_b1a)
    audit.record(
        "view_sensitive",
        "full ID number and guardian phones viewed",
        module="cases",
        actor=users.other_county_reviewer,
        target=foreign,
        case=foreign,
    )
    audit.record("login", "logged in", module="accounts", actor=users.school_admin, target=users.school_admin)
    audit.record(
        "login", "logged in", module="accounts", actor=users.other_county_reviewer, target=users.other_county_reviewer
    )
    db.session.flush()
    return mine, foreign


def test_the_trail_shows_the_county_and_the_reviewers_own_actions(
    client, login, users, make_pending, make_case, places
):
    mine, foreign = _entries_for_the_trail(users, make_pending, make_case, places)
    login(users.county_reviewer)
    response = client.get("/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Approve the closure: Pending review → Closed" in page
    assert f"Case {mine.id}" in page
    assert users.school_admin.full_name in page and "Logged in" in page  # a login in the county
    assert f"Case {foreign.id}" not in page  # another county's case
    assert users.other_county_reviewer.full_name not in page  # another county's login
    assert 'href="/audit/export' in page


def test_the_trail_filters(client, login, users, make_pending, make_case, places):
    mine, _ = _entries_for_the_trail(users, make_pending, make_case, places)
    login(users.county_reviewer)
    page = client.get("/audit", query_string={"kind": "transition"}).get_data(as_text=True)
    assert "Approve the closure: Pending review → Closed" in page and "Logged in</strong>" not in page
    page = client.get("/audit", query_string={"person": users.school_admin.username}).get_data(as_text=True)
    assert "Logged in" in page and "Approve the closure: Pending review → Closed" not in page
    page = client.get("/audit", query_string={"case": mine.id, "module": "ladder"}).get_data(as_text=True)
    assert "Approve the closure: Pending review → Closed" in page and "Logged in</strong>" not in page
    tomorrow = (DAY0 + timedelta(days=1)).isoformat()
    page = client.get("/audit", query_string={"date_from": tomorrow}).get_data(as_text=True)
    assert "0 entries" in page
    page = client.get("/audit", query_string={"date_from": DAY0.isoformat(), "date_to": DAY0.isoformat()}).get_data(
        as_text=True
    )
    assert "Approve the closure: Pending review → Closed" in page
    page = client.get("/audit", query_string={"case": "abc", "date_to": "31/12"}).get_data(as_text=True)
    assert "Enter a case number (digits only)." in page and "Enter a date like 2026-09-01." in page


def test_export_is_a_workbook_of_the_filtered_entries_and_is_itself_audited(
    client, login, users, make_pending, make_case, places
):
    mine, _ = _entries_for_the_trail(users, make_pending, make_case, places)
    login(users.county_reviewer)
    response = client.get("/audit/export", query_string={"case": mine.id})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:2] == ("Time (Beijing)", "Person")
    body = rows[1:]
    case_entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.case_id == mine.id).order_by(AuditEntry.id.desc())
    ).all()
    assert len(body) == len(case_entries) and all(r[4] == mine.id for r in body)
    newest = body[0]
    assert newest[0] == case_entries[0].logged_dt.astimezone(clock.LOCAL_TZ).replace(tzinfo=None)
    assert users.county_reviewer.full_name in newest[1]
    assert "Approve the closure: Pending review → Closed" in newest[3]
    assert newest[5] == mine.child.name
    assert "Stage: Pending review → Closed" in newest[6]
    export = db.session.scalars(select(AuditEntry).where(AuditEntry.kind == "export")).one()
    assert export.user_id == users.county_reviewer.id
    assert export.data["filters"] == {"case": mine.id} and export.data["rows"] == len(body)
    # the export is readable in the trail
    page = client.get("/audit", query_string={"kind": "export"}).get_data(as_text=True)
    assert "Export" in page and "Rows" in page


def test_a_wide_export_is_cut_with_a_note(app, users, make_pending, monkeypatch):
    from caseworks.review import export

    for _ in range(3):
        audit.record("login", "logged in", module="accounts", actor=users.county_reviewer)
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    with app.test_request_context():
        data, written, total = export.audit_workbook(stmt, limit=2)
    assert written == 2 and total >= 3
    rows = list(load_workbook(BytesIO(data)).active.iter_rows(values_only=True))
    assert "Only the newest 2 of" in rows[0][0]
    assert len(rows) == 4  # the note, the headings and two entries
