"""Counting a dashboard figure again, straight from the tables.

The dashboard's numbers come from the named conditions in caseworks (the case list's filters).
Here each query parameter of a figure's link is turned into SQL written anew from the rules in
DESIGN.md and DOMAIN.md, on the bare tables, without any of that code: if the two ever disagree,
one of them is wrong.
"""

import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, not_, or_, select

from caseworks.extensions import db

LADDER = ("school_persuasion", "township_persuasion", "administrative", "judicial")
VISITED = ("verification", "support", *LADDER, "returned")
NOTICE = ("township_persuasion", "administrative")
#: the default longest stay on each ladder stage (DESIGN.md / the policy profile's defaults)
DEFAULT_LIMITS = {"school_persuasion": 30, "township_persuasion": 30, "administrative": 45, "judicial": 120}
CHINA = ZoneInfo("Asia/Shanghai")

NUMBER = re.compile(r'<a class="num" href="([^"]+)">(\d+)</a>')
LIST_TOTAL = re.compile(r"<h1>Cases <span class=\"muted\">(\d+) found</span>")


def t(name):
    return db.metadata.tables[name]


def numbers_on(page_html):
    """Every number on a dashboard page with its link: ``[(href, n)]``."""
    return [(unescape(href), int(n)) for href, n in NUMBER.findall(page_html)]


def list_total(client, href):
    page = client.get(href)
    assert page.status_code == 200, href
    found = LIST_TOTAL.search(page.get_data(as_text=True))
    assert found, f"no total on {href}"
    return int(found.group(1))


def _scope(user):
    c = t("case_file")
    area = db.session.execute(select(t("area")).where(t("area").c.id == user.area_id)).first() if user.area_id else None
    if user.role == "school_admin":
        return c.c.school_id == user.school_id
    if user.role == "township_official":
        tr = t("transfer")
        waiting = select(tr.c.case_id).where(tr.c.decided_dt.is_(None), tr.c.to_township_id == area.id)
        return or_(c.c.township_id == area.id, c.c.school_township_id == area.id, c.c.id.in_(waiting))
    if user.role == "county_reviewer":
        return c.c.county_id.in_(_counties(area))
    raise AssertionError(user.role)


def _counties(area):
    a = t("area")
    return select(a.c.id).where(a.c.level == "county", a.c.path.like(area.path + "%"))


def _receiving(user):
    tr, a = t("transfer"), t("area")
    if user.role == "township_official":
        return tr.c.to_township_id == user.area_id
    if user.role == "school_admin":
        return tr.c.to_school_id == user.school_id
    area = db.session.execute(select(a).where(a.c.id == user.area_id)).first()
    return tr.c.to_township_id.in_(select(a.c.id).where(a.c.county_id.in_(_counties(area))))


def _local_midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=CHINA).astimezone(UTC)


def _flag(flag, user, today):
    c, v, n, tr = t("case_file"), t("visit"), t("notice"), t("transfer")
    if flag == "overdue_visit":
        return exists().where(
            v.c.case_id == c.c.id,
            v.c.done_dt.is_(None),
            v.c.cancelled_dt.is_(None),
            v.c.due_date.is_not(None),
            v.c.due_date < today,
        )
    if flag == "no_teacher":
        return and_(c.c.stage.in_(VISITED), c.c.teacher_id.is_(None))
    if flag == "no_cadre":
        return and_(c.c.stage.in_(VISITED), c.c.cadre_id.is_(None))
    if flag == "lapsed_notice":
        return and_(c.c.stage.in_(NOTICE), exists().where(n.c.case_id == c.c.id, n.c.deadline_date < today))
    if flag == "stale":
        return and_(c.c.is_stale.is_(True), c.c.stage.in_(VISITED))
    waiting = exists().where(tr.c.case_id == c.c.id, tr.c.decided_dt.is_(None))
    incoming = exists().where(tr.c.case_id == c.c.id, tr.c.decided_dt.is_(None), _receiving(user))
    if flag == "incoming_transfer":
        return incoming
    if flag == "outgoing_transfer":
        return and_(waiting, not_(incoming))
    if flag == "past_limit":
        return c.c.id.in_(_past_limit_ids(today))
    raise AssertionError(flag)


def _past_limit_ids(today):
    """Cases on a ladder stage for longer than their county allows, counted in Python from the
    rows (the county's profile row, else the defaults)."""
    c, p = t("case_file"), t("policy_profile")
    limits = defaultdict(lambda: dict(DEFAULT_LIMITS))
    for row in db.session.execute(select(p)).mappings():
        limits[row["county_id"]] = {stage: row[f"max_days_{stage}"] for stage in LADDER}
    rows = db.session.execute(
        select(c.c.id, c.c.stage, c.c.stage_entered_date, c.c.county_id).where(c.c.stage.in_(LADDER))
    ).all()
    return [r.id for r in rows if (today - r.stage_entered_date).days > limits[r.county_id][r.stage]]


def _stage_change_since(kind, day):
    c, sc = t("case_file"), t("stage_change")
    if kind == "returned":
        moved = sc.c.to_stage == "returned"
    else:
        moved = and_(sc.c.from_stage.in_(("returned", "closed")), sc.c.to_stage.in_(LADDER))
    return exists().where(sc.c.case_id == c.c.id, moved, sc.c.changed_dt >= _local_midnight(day))


def recount(user, href, today):
    """The number of cases the link ``href`` (a /cases URL) stands for, counted afresh."""
    from datetime import date

    c = t("case_file")
    parts = urlsplit(href)
    assert parts.path == "/cases", href
    args = {k: v[0] for k, v in parse_qs(parts.query).items()}
    where = [_scope(user)]
    for key, value in args.items():
        if key == "open":
            where.append(c.c.stage != "closed")
        elif key in ("stage", "kind"):
            where.append(c.c[key] == value)
        elif key in ("county", "township", "village"):
            column = {"county": "county_id", "village": "village_id"}.get(key)
            if column:
                where.append(c.c[column] == int(value))
            else:
                where.append(or_(c.c.township_id == int(value), c.c.school_township_id == int(value)))
        elif key == "school":
            where.append(c.c.school_id.is_(None) if value == "none" else c.c.school_id == int(value))
        elif key == "flag":
            where.append(_flag(value, user, today))
        elif key == "opened_since":
            where.append(c.c.opened_date >= date.fromisoformat(value))
        elif key == "returned_since":
            where.append(_stage_change_since("returned", date.fromisoformat(value)))
        elif key == "relapsed_since":
            where.append(_stage_change_since("relapsed", date.fromisoformat(value)))
        elif key == "closed_since":
            where.append(and_(c.c.stage == "closed", c.c.closed_date >= date.fromisoformat(value)))
        elif key == "outcome":
            where.append(c.c.closed_outcome == value)
        else:
            raise AssertionError(f"a dashboard link with a parameter nobody recounts: {key}")
    return db.session.scalar(select(func.count()).select_from(c).where(*where))


def past(today, days):
    return today - timedelta(days=days)
