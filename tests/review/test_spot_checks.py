"""Spot checks: a reproducible sample of approved returns and the field verification of each."""

from datetime import timedelta

from sqlalchemy import func, select

from caseworks.core.audit import AuditEntry
from caseworks.core.choices import ClosedOutcome, Stage
from caseworks.core.policy import PolicyProfile, defaults, update_profile
from caseworks.extensions import db
from caseworks.ladder import transitions
from caseworks.ladder.models import StageChange
from caseworks.review import operations
from caseworks.review.models import SpotCheck, SpotCheckItem
from tests.review.conftest import DAY0


def test_the_sample_is_reproducible_from_its_seed():
    population = list(range(100, 160))
    first = operations.sample_ids(population, 10, seed=12345)
    assert first == operations.sample_ids(population, 10, seed=12345)
    assert len(first) == 6 and len(set(first)) == 6 and set(first) <= set(population)
    others = {tuple(operations.sample_ids(population, 10, seed=s)) for s in range(20)}
    assert len(others) > 1  # another seed usually gives another sample


def test_sample_size_is_the_rounded_up_share_with_at_least_one():
    assert operations.sample_size(0, 10) == 0
    assert operations.sample_size(1, 10) == 1
    assert operations.sample_size(9, 10) == 1
    assert operations.sample_size(10, 10) == 1
    assert operations.sample_size(11, 10) == 2
    assert operations.sample_size(25, 10) == 3
    assert operations.sample_size(5, 100) == 5
    assert operations.sample_size(3, 50) == 2


def _approved_returns(make_pending, users, n, reviewer=None, **kwargs):
    cases = []
    for _ in range(n):
        case = make_pending(**kwargs)
        transitions.apply(case, "approve_closure", reviewer or users.county_reviewer2)
        cases.append(case)
    db.session.flush()
    return cases


def test_drawing_records_the_seed_and_the_sample(client, login, users, make_pending, places):
    cases = _approved_returns(make_pending, users, 12)
    _approved_returns(
        make_pending, users, 1, outcome=ClosedOutcome.VOCATIONAL_SCHOOL, from_stage=Stage.SCHOOL_PERSUASION
    )  # not a return to school
    _approved_returns(
        make_pending, users, 2, reviewer=users.other_county_reviewer, school=places.school_b1, village=places.vil_b1a
    )  # county B
    login(users.county_reviewer)
    form = client.get("/review/spot-checks").get_data(as_text=True)
    assert 'name="percent"' in form and 'value="10"' in form  # the county profile's default
    response = client.post(
        "/review/spot-checks",
        data={"start_date": (DAY0 - timedelta(days=3)).isoformat(), "end_date": DAY0.isoformat(), "percent": "10"},
    )
    assert response.status_code == 302
    spot_check = db.session.scalar(select(SpotCheck))
    assert spot_check.population_size == 12 and spot_check.sample_size == 2
    population = sorted(c.id for c in cases)
    assert operations.sample_ids(population, 10, spot_check.seed) == spot_check.case_ids
    assert [i.case_id for i in spot_check.items] == spot_check.case_ids
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.kind == "spot_check"))
    assert entry.data["seed"] == spot_check.seed and entry.data["case_ids"] == spot_check.case_ids
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Drawn again from the seed: same cases" in page
    for case in cases:
        assert (f'href="/cases/{case.id}"' in page) == (case.id in spot_check.case_ids)


def test_the_percent_follows_the_county_profile(client, login, users, make_pending, places):
    _approved_returns(make_pending, users, 4)
    profile = defaults()
    update_profile(
        places.county_a,
        {**{n: getattr(profile, n) for n in PolicyProfile.EDITABLE}, "spot_check_percent": 50},
        users.admin,
    )
    login(users.county_reviewer)
    assert 'value="50"' in client.get("/review/spot-checks").get_data(as_text=True)


def test_an_empty_period_draws_nothing(client, login, users):
    login(users.county_reviewer)
    response = client.post(
        "/review/spot-checks", data={"start_date": "2026-01-01", "end_date": "2026-01-31", "percent": "10"}
    )
    assert response.status_code == 422
    assert "nothing to draw" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(SpotCheck)) == 0


def _draw(users, cases, percent=100):
    return operations.draw_spot_check(
        users.county_reviewer, [c.id for c in cases], start=DAY0, end=DAY0, percent=percent, seed=7
    )


def test_a_child_not_found_reopens_the_case(client, login, users, make_pending):
    cases = _approved_returns(make_pending, users, 2)
    spot_check = _draw(users, cases)
    failed, confirmed = spot_check.items
    login(users.county_reviewer)
    response = client.post(
        f"/review/spot-checks/{spot_check.id}/items/{failed.id}",
        data={
            f"item{failed.id}-result": "not_found",
            f"item{failed.id}-checked_date": DAY0.isoformat(),
            f"item{failed.id}-notes": "班上无此人，家长称已外出",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    case = failed.case
    assert case.stage == Stage.TOWNSHIP_PERSUASION  # back where the return came from
    assert case.relapse_count == 1 and case.closed_outcome is None
    assert failed.result == "not_found" and failed.is_reopened
    change = db.session.scalars(
        select(StageChange).where(StageChange.case_id == case.id).order_by(StageChange.id.desc())
    ).first()
    assert change.transition == "reopen" and "班上无此人" in change.reason

    response = client.post(
        f"/review/spot-checks/{spot_check.id}/items/{confirmed.id}",
        data={f"item{confirmed.id}-result": "confirmed", f"item{confirmed.id}-checked_date": DAY0.isoformat()},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert confirmed.case.stage == Stage.CLOSED and confirmed.case.relapse_count == 0
    assert confirmed.result == "confirmed" and not confirmed.is_reopened
    kinds = db.session.scalars(
        select(AuditEntry.kind).where(AuditEntry.case_id == confirmed.case_id).order_by(AuditEntry.id)
    ).all()
    assert kinds[-1] == "spot_check" and kinds.count("transition") == 1  # the approval only

    # a result stays as recorded
    again = client.post(
        f"/review/spot-checks/{spot_check.id}/items/{confirmed.id}",
        data={f"item{confirmed.id}-result": "not_found", f"item{confirmed.id}-checked_date": DAY0.isoformat()},
    )
    assert again.status_code == 422
    db.session.expire_all()
    assert confirmed.case.stage == Stage.CLOSED


def test_other_needs_notes_and_dates_cannot_lie_ahead(client, login, users, make_pending):
    cases = _approved_returns(make_pending, users, 1)
    item = _draw(users, cases).items[0]
    login(users.county_reviewer)
    url = f"/review/spot-checks/{item.spot_check_id}/items/{item.id}"
    response = client.post(
        url, data={f"item{item.id}-result": "other", f"item{item.id}-checked_date": DAY0.isoformat()}
    )
    assert response.status_code == 422 and "Describe what was found." in response.get_data(as_text=True)
    tomorrow = (DAY0 + timedelta(days=1)).isoformat()
    response = client.post(url, data={f"item{item.id}-result": "confirmed", f"item{item.id}-checked_date": tomorrow})
    assert response.status_code == 422
    db.session.expire_all()
    assert item.result is None


def test_spot_checks_of_another_county_are_not_found(client, login, users, make_pending):
    cases = _approved_returns(make_pending, users, 1)
    spot_check = _draw(users, cases)
    login(users.other_county_reviewer)
    assert client.get(f"/review/spot-checks/{spot_check.id}").status_code == 404
    item = spot_check.items[0]
    assert (
        client.post(
            f"/review/spot-checks/{spot_check.id}/items/{item.id}",
            data={f"item{item.id}-result": "not_found", f"item{item.id}-checked_date": DAY0.isoformat()},
        ).status_code
        == 404
    )
    assert (
        db.session.scalar(select(func.count()).select_from(SpotCheckItem).where(SpotCheckItem.result.is_not(None))) == 0
    )
