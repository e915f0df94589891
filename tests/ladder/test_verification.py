"""Suspected dropouts are verified: confirmed onto the ladder, or dismissed with a reason."""

import pytest
from sqlalchemy import select

from caseworks.core import audit
from caseworks.core.choices import CaseKind, Stage
from caseworks.extensions import db
from caseworks.ladder.models import StageChange


@pytest.fixture
def suspected(make_case, users):
    return make_case(kind=CaseKind.SUSPECTED, teacher=users.teacher, cadre=users.village_cadre)


def test_confirming_puts_the_case_on_the_ladder(client, login, users, suspected):
    login(users.teacher)
    response = client.post(
        f"/cases/{suspected.id}/transitions/confirm_dropout",
        data={"evidence": "连续三天未到校，家访核实在外打工", "version": suspected.version},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (suspected.kind, suspected.stage) == (CaseKind.DROPPED_OUT, Stage.SCHOOL_PERSUASION)
    change = db.session.scalars(select(StageChange)).one()
    assert (change.from_stage, change.to_stage, change.actor_id) == (
        "verification",
        "school_persuasion",
        users.teacher.id,
    )
    entry = db.session.scalars(select(audit.AuditEntry).where(audit.AuditEntry.kind == "transition")).one()
    assert entry.data["after"] == {"stage": "school_persuasion", "kind": "dropped_out"}
    assert "Stage: Verification → School persuasion" in client.get(f"/cases/{suspected.id}").get_data(as_text=True)


def test_dismissing_needs_a_reason_and_closes_the_case(client, login, users, suspected):
    login(users.school_admin)
    refused = client.post(f"/cases/{suspected.id}/transitions/dismiss_suspicion", data={"version": suspected.version})
    assert refused.status_code == 422
    assert "Give the reason" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert suspected.stage == Stage.VERIFICATION
    assert db.session.scalars(select(StageChange)).all() == []
    response = client.post(
        f"/cases/{suspected.id}/transitions/dismiss_suspicion",
        data={"reason": "已转学至外县就读，学籍核实", "version": suspected.version},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (suspected.stage, suspected.closed_outcome) == (Stage.CLOSED, "dismissed")
    assert suspected.dismissed_reason == "已转学至外县就读，学籍核实"


def test_a_teacher_may_not_dismiss(client, login, users, suspected):
    login(users.teacher)
    response = client.post(
        f"/cases/{suspected.id}/transitions/dismiss_suspicion", data={"reason": "x", "version": suspected.version}
    )
    assert response.status_code == 403


def test_a_step_from_the_wrong_stage_is_refused(client, login, users, make_case):
    case = make_case(teacher=users.teacher)
    login(users.school_admin)
    response = client.post(f"/cases/{case.id}/transitions/confirm_dropout", data={"version": case.version})
    assert response.status_code == 422
    assert "not possible in the case's current stage" in response.get_data(as_text=True)


def test_two_people_confirming_at_once_record_one_change(client, login, users, suspected, app):
    login(users.teacher)
    version = suspected.version
    url = f"/cases/{suspected.id}/transitions/confirm_dropout"
    assert client.post(url, data={"version": version}).status_code == 302
    second = app.test_client()
    second.post("/login", data={"username": users.school_admin.username, "password": "test-pass-2026"})
    response = second.post(f"/cases/{suspected.id}/transitions/confirm_dropout", data={"version": version})
    assert response.status_code == 409
    assert len(db.session.scalars(select(StageChange)).all()) == 1


def test_an_at_risk_child_who_stops_attending_goes_onto_the_ladder(client, login, users, make_case):
    case = make_case(kind=CaseKind.AT_RISK, teacher=users.teacher)
    login(users.teacher)
    # nobody holds the government line yet: the teacher cannot take the case out of support
    refused = client.post(
        f"/cases/{case.id}/transitions/stopped_attending",
        data={"reason": "本周连续五天未到校", "version": case.version},
    )
    assert refused.status_code == 422
    assert "No village cadre yet" in refused.get_data(as_text=True)
    case.cadre_id = users.village_cadre.id
    db.session.flush()
    response = client.post(
        f"/cases/{case.id}/transitions/stopped_attending",
        data={"reason": "本周连续五天未到校", "version": case.version},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (case.kind, case.stage) == (CaseKind.DROPPED_OUT, Stage.SCHOOL_PERSUASION)
