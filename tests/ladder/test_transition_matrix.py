"""Every step of the ladder for every role: allowed where the role may take it, refused (403)
where it may not, not found (404) outside the scope, and refused with its reason while a guard
is unmet."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from caseworks.core import clock
from caseworks.core.choices import CaseKind, Stage
from caseworks.extensions import db
from caseworks.ladder.models import ClosureRequest, Notice, StageChange
from caseworks.ladder.transitions import TRANSITIONS
from caseworks.visits.models import Visit

TODAY = date(2026, 10, 12)
ROLES = ("teacher", "village_cadre", "school_admin", "township_official", "county_reviewer")
STEPS = [t for t in TRANSITIONS.values() if not t.system_only]


@pytest.fixture(autouse=True)
def frozen_clock():
    clock.set_now(clock.local_date_start(TODAY) + timedelta(hours=3))


def _notice(case, users, served_days_ago):
    served = TODAY - timedelta(days=served_days_ago)
    db.session.add(
        Notice(
            case_id=case.id,
            kind="urge",
            county_id=case.county_id,
            year=2026,
            number=case.id,
            document_no=f"义劝通字〔2026〕第{case.id}号",
            title="督促复学通知书",
            body="…",
            recipient="王大山",
            deadline_days=15,
            issued_by_id=users.township_official.id,
            served_date=served,
            served_to="王大山",
            served_by="乡镇",
            deadline_date=served + timedelta(days=15),
        )
    )


def _ready(step, make_case, users, **where):
    """A case on the step's first stage with its guard met."""
    stage = step.from_stages[0]
    kind = {Stage.VERIFICATION: CaseKind.SUSPECTED, Stage.SUPPORT: CaseKind.AT_RISK}.get(stage, CaseKind.DROPPED_OUT)
    case = make_case(
        kind=kind,
        stage=stage,
        opened_date=TODAY - timedelta(days=90),
        stage_entered_date=TODAY - timedelta(days=40),
        **where,
    )
    if step.name == "escalate_township":
        for method in ("home_visit", "phone"):
            db.session.add(
                Visit(
                    case_id=case.id,
                    visit_date=TODAY,
                    done_dt=clock.now(),
                    method=method,
                    outcome="refused",
                    stage_at_visit=stage,
                )
            )
    if step.name == "escalate_administrative":
        _notice(case, users, served_days_ago=2)
    if step.name == "escalate_judicial":
        _notice(case, users, served_days_ago=20)
    if step.name in ("approve_closure", "send_back"):
        db.session.add(
            ClosureRequest(
                case_id=case.id,
                outcome="aged_out",
                from_stage="township_persuasion",
                requested_by_id=users.school_admin.id,
            )
        )
    if step.name == "relapse":
        case.resume_stage = Stage.ADMINISTRATIVE
        case.return_date = TODAY - timedelta(days=3)
        case.monitoring_until = TODAY + timedelta(days=27)
    if step.name == "reopen":
        case.closed_outcome, case.closed_date, case.resume_stage = "returned_to_school", TODAY, Stage.JUDICIAL
    db.session.flush()
    return case


def _data(step, case):
    data = {"reason": "依据家访记录", "version": case.version}
    if step.form == "legal_step":
        data.update(kind="support_prosecution", step_date=TODAY.isoformat(), authority="县人民检察院")
    if step.form == "return":
        data.update(
            return_date=TODAY.isoformat(), school_id=case.school_id, class_name="七年级2班", confirmed_by="张校长"
        )
    if step.form == "closure":
        data.update(outcome="aged_out")
    return data


EXPECTED_STAGE = {"relapse": Stage.ADMINISTRATIVE, "send_back": Stage.TOWNSHIP_PERSUASION, "reopen": Stage.JUDICIAL}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", STEPS, ids=[t.name for t in STEPS])
def test_each_step_for_each_role(client, login, users, make_case, step, role):
    case = _ready(step, make_case, users, teacher=users.teacher, cadre=users.village_cadre)
    before = case.stage
    login(getattr(users, role))
    response = client.post(f"/cases/{case.id}/transitions/{step.name}", data=_data(step, case))
    db.session.expire_all()
    if role in step.roles:
        assert response.status_code == 302, response.get_data(as_text=True)
        assert case.stage == (EXPECTED_STAGE.get(step.name) or step.to_stage)
        change = db.session.scalars(select(StageChange).where(StageChange.case_id == case.id)).one()
        assert (change.transition, change.from_stage) == (step.name, before)
    else:
        assert response.status_code == 403
        assert case.stage == before
        assert db.session.scalars(select(StageChange)).all() == []


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("step", STEPS, ids=[t.name for t in STEPS])
def test_each_step_outside_the_scope_is_not_found(client, login, users, make_case, places, step, role):
    case = _ready(step, make_case, users, school=places.school_b1, village=places.vil_b1a)
    login(getattr(users, role))
    assert client.post(f"/cases/{case.id}/transitions/{step.name}", data=_data(step, case)).status_code == 404


@pytest.mark.parametrize("step", [t for t in STEPS if t.guard is not None], ids=lambda t: t.name)
def test_a_step_whose_guard_is_unmet_is_refused_with_the_reason(client, login, users, make_case, step):
    stage = step.from_stages[0]
    kind = {Stage.VERIFICATION: CaseKind.SUSPECTED, Stage.SUPPORT: CaseKind.AT_RISK}.get(stage, CaseKind.DROPPED_OUT)
    # a step out of the first stage needs both lines: here nobody holds the village cadre's
    cadre = None if step.form == "lines" else users.village_cadre
    case = make_case(kind=kind, stage=stage, teacher=users.teacher, cadre=cadre)
    if step.name == "request_closure":  # its guard: no other request waiting
        db.session.add(
            ClosureRequest(
                case_id=case.id, outcome="aged_out", from_stage=stage, requested_by_id=users.township_official.id
            )
        )
        db.session.flush()
    role = next(r for r in ROLES if r in step.roles)
    login(getattr(users, role))
    unmet = step.unmet(case)
    assert unmet
    response = client.post(f"/cases/{case.id}/transitions/{step.name}", data=_data(step, case))
    assert response.status_code == 422
    assert str(unmet[0]) in response.get_data(as_text=True).replace("&#39;", "'")
    db.session.expire_all()
    assert case.stage == stage
