"""Scheduled jobs of the ladder: lapsed notice deadlines (with the next step), cases that sit on
one stage longer than the county allows, the end of monitoring periods, and expired health
deferrals. Stage changes go through caseworks.ladder.transitions like any other."""

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from caseworks.accounts.models import User
from caseworks.cases.models import Case
from caseworks.core import audit, clock
from caseworks.core.choices import Role, Stage
from caseworks.extensions import db
from caseworks.inbox.jobs import Outbox
from caseworks.ladder import transitions
from caseworks.ladder.models import Notice, Transfer
from caseworks.ladder.queries import lapsed_notice, past_stage_limit
from caseworks.places.models import Area
from caseworks.scheduler.registry import scheduled_job

#: the case list (a stable URL, DESIGN.md) filtered to the cases past their stage's time limit
LIST_LINK = "/cases?flag=past_limit"

NEXT_STEP = {
    Stage.TOWNSHIP_PERSUASION: _l("Next step: start the administrative procedure."),
    Stage.ADMINISTRATIVE: _l(
        "Next step: start the judicial procedure (the township or education bureau sues, "
        "with the procuratorate's support)."
    ),
}


def _officials(township_ids, county_ids):
    """Active township officials by township and county reviewers by county (one query)."""
    rows = db.session.execute(
        select(User.id, User.role, Area.township_id, Area.county_id)
        .join(Area, Area.id == User.area_id)
        .where(
            User.is_active.is_(True),
            User.role.in_((Role.TOWNSHIP_OFFICIAL, Role.COUNTY_REVIEWER)),
            (Area.township_id.in_(township_ids)) | (Area.id.in_(county_ids)),
        )
    ).all()
    by_township, by_county = defaultdict(list), defaultdict(list)
    for user_id, role, township_id, county_id in rows:
        if role == Role.TOWNSHIP_OFFICIAL and township_id is not None:
            by_township[township_id].append(user_id)
        elif role == Role.COUNTY_REVIEWER:
            by_county[county_id].append(user_id)
    return by_township, by_county


@scheduled_job(
    "flag_lapsed_deadlines",
    description="Notices whose deadline passed without a return: tell the township and county, with the next step",
    order=40,
    minute=15,
)
def flag_lapsed_deadlines(today):
    notices = db.session.scalars(
        select(Notice)
        .join(Case, Case.id == Notice.case_id)
        .where(lapsed_notice(today), Notice.lapsed_flagged_dt.is_(None))
        .options(joinedload(Notice.case).joinedload(Case.child))
    ).all()
    if not notices:
        return {"lapsed": 0}
    by_township, by_county = _officials({n.case.township_id for n in notices}, {n.case.county_id for n in notices})
    outbox = Outbox()
    now = clock.now()
    for notice in notices:
        case = notice.case
        for user_id in by_township[case.township_id] + by_county[case.county_id]:
            outbox.add(
                user_id,
                "deadline_lapsed",
                _l("Deadline passed: %(name)s, %(no)s", name=case.child.name, no=notice.document_no),
                body=NEXT_STEP[case.stage],
                case_id=case.id,
                dedupe_key=f"deadline_lapsed:{notice.id}:{user_id}",
            )
        notice.lapsed_flagged_dt = now
    sent = outbox.deliver()
    audit.record(
        "job",
        f"lapsed notice deadlines flagged: {len(notices)}",
        module="ladder",
        actor=None,
        data={"notices": [n.id for n in notices]},
    )
    return {"lapsed": len(notices), "messages": len(sent)}


@scheduled_job(
    "flag_stage_overdue",
    description="Cases on one stage longer than the county allows: a daily digest to the township and county",
    order=41,
    hour=7,
    minute=0,
)
def flag_stage_overdue(today):
    """A daily digest to each township official and county reviewer: how many of the cases they
    see have been on one ladder stage longer than the county allows, by stage, with a link to the
    case list showing exactly those cases (``flag=past_limit``, :func:`past_stage_limit`)."""
    rows = db.session.execute(
        select(Case.id, Case.stage, Case.township_id, Case.school_township_id, Case.county_id).where(
            past_stage_limit(today)
        )
    ).all()
    if not rows:
        return {"overdue": 0}
    waiting = dict(
        db.session.execute(
            select(Transfer.case_id, Transfer.to_township_id).where(
                Transfer.decided_dt.is_(None), Transfer.case_id.in_([r.id for r in rows])
            )
        ).all()
    )
    townships = {r.township_id for r in rows} | {r.school_township_id for r in rows} | set(waiting.values())
    by_township, by_county = _officials(townships - {None}, {r.county_id for r in rows})
    per_user = defaultdict(dict)
    for row in rows:
        # the cases each person's list shows: their township's (by village or school, or waiting
        # to be taken over), their county's
        for township_id in {row.township_id, row.school_township_id, waiting.get(row.id)} - {None}:
            for user_id in by_township[township_id]:
                per_user[user_id][row.id] = row
        for user_id in by_county[row.county_id]:
            per_user[user_id][row.id] = row
    outbox = Outbox()
    for user_id, cases in per_user.items():
        counts = defaultdict(int)
        for row in cases.values():
            counts[row.stage] += 1
        body = "\n".join(f"{Stage.label_of(stage)}：{n}" for stage, n in sorted(counts.items()))
        outbox.add(
            user_id,
            "stage_overdue",
            _l("%(n)s cases have been on one stage longer than allowed", n=len(cases)),
            body=body,
            link=LIST_LINK,
            dedupe_key=f"stage_overdue:{today.isoformat()}:{user_id}",
        )
    sent = outbox.deliver()
    return {"overdue": len(rows), "messages": len(sent)}


def _apply_to_each(stmt, name):
    done = 0
    for case in db.session.scalars(stmt.with_for_update(of=Case, skip_locked=True)).all():
        try:
            with db.session.begin_nested():
                transitions.apply(case, name, None)
        except transitions.TransitionRefused:
            continue
        done += 1
    return done


@scheduled_job(
    "end_monitoring",
    description="Monitoring periods that ended: the case goes to county review",
    order=42,
    hour=1,
    minute=30,
)
def end_monitoring(today):
    done = _apply_to_each(
        select(Case).where(Case.stage == Stage.RETURNED, Case.monitoring_until <= today), "end_monitoring"
    )
    return {"to_review": done}


@scheduled_job(
    "review_expired_deferrals",
    description="Health deferrals that expired: back to county review",
    order=43,
    hour=1,
    minute=40,
)
def review_expired_deferrals(today):
    done = _apply_to_each(select(Case).where(Case.stage == Stage.CLOSED, Case.closed_until < today), "deferral_expired")
    return {"to_review": done}
