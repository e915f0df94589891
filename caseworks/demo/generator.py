"""Deterministic synthetic demo data (DESIGN.md "seed-demo").

``county``: one province, city and county; 15 townships, 150 villages, 40 schools, 2,000 cases.
``province``: one province, 9 cities, 80 such counties, 100,000 cases.

Each case comes with its stage history, visits and the ladder's records the history implies
(notices, legal steps, the return to school, closure requests: caseworks.demo.ladder), so that
the ladder's guards, the review queue, spot checks and the scheduler's jobs find real material.

Everything is drawn from one ``random.Random`` with a fixed seed, relative to today's date, and
written with bulk inserts (COPY on PostgreSQL): no ORM objects, so a province loads in well under
the five minutes the design allows. Nothing here commits; the command does.
"""

import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, select
from werkzeug.security import generate_password_hash

from caseworks.accounts.models import User
from caseworks.cases.models import Assignment, Case, CaseReason, Child, ChildGroup, Guardian, PlanItem
from caseworks.core import audit, clock
from caseworks.core.bulk import BulkWriter
from caseworks.core.choices import Role
from caseworks.demo.cases import CaseBuilder
from caseworks.demo.enrolment import EnrolmentBuilder
from caseworks.demo.places import PlaceBuilder
from caseworks.demo.visits import VisitBuilder
from caseworks.enrolment.models import Enrolment, ListEntry
from caseworks.ladder.models import ClosureRequest, LegalStep, Notice, NoticeCounter, StageChange
from caseworks.places.models import Area, School
from caseworks.reports.jobs import backfill_month_ends, build_statistics_snapshot
from caseworks.visits.models import SupportMeasure, Visit

DEMO_PASSWORD = "demo-pass-2026"
SEED = 20260901


@dataclass(frozen=True)
class Scale:
    name: str
    counties: int
    cases_per_county: int
    cities: int


SCALES = {
    "county": Scale("county", counties=1, cases_per_county=2000, cities=1),
    "province": Scale("province", counties=80, cases_per_county=1250, cities=9),
}


class DemoDataExists(Exception):
    """The database already holds places, users or cases: the demo data would duplicate them."""


@dataclass
class Context:
    rng: random.Random
    today: date
    now: datetime
    password_hash: str
    next_ids: dict = field(default_factory=dict)
    school_serial: int = 0

    def take_id(self, table):
        value = self.next_ids[table]
        self.next_ids[table] = value + 1
        return value


@dataclass
class SeedResult:
    scale: str
    counts: dict
    seconds: float
    build_seconds: float


def has_areas(session):
    return session.scalar(select(exists().where(Area.id.isnot(None))))


def has_data(session):
    return any(session.scalar(select(exists().where(m.id.isnot(None)))) for m in (Area, School, User, Child, Case))


def seed(session, scale="county", *, log=None):
    """Load the demo data of ``scale`` into ``session``'s database (flushes, never commits).

    Refuses with :class:`DemoDataExists` if the database already has places, users or cases.
    """
    log = log or (lambda message: None)
    spec = SCALES[scale]
    if has_data(session):
        raise DemoDataExists("the database already holds data; demo data loads only into an empty database")
    started = time.perf_counter()
    writer = BulkWriter(session)
    ctx = Context(
        rng=random.Random(f"{SEED}-{scale}"),
        today=clock.today(),
        now=clock.now().replace(microsecond=0),
        password_hash=generate_password_hash(DEMO_PASSWORD),
        next_ids={
            t: writer.next_id(m)
            for t, m in (
                ("area", Area),
                ("school", School),
                ("user_account", User),
                ("child", Child),
                ("case_file", Case),
            )
        },
    )

    place_builder = PlaceBuilder(ctx)
    case_builder = CaseBuilder(ctx)
    province = place_builder.province()
    admin = place_builder.user("admin", Role.ADMIN, area=province)
    cities = [place_builder.city(province, 8 if spec.cities == 1 else i) for i in range(spec.cities)]
    per_city = -(-spec.counties // spec.cities)
    enrolment = EnrolmentBuilder(ctx, f"{SEED}-{scale}", {c["id_number"] for c in case_builder.children})
    for index in range(spec.counties):
        city = cities[index // per_city]
        number = index % per_city + 1
        places = place_builder.county(
            city, number + (25 if spec.cities == 1 else 0), first_in_city=number == 1 and spec.cities > 1
        )
        place_builder.county_users(places, demo=index == 0)
        first_case, first_child = len(case_builder.cases), len(case_builder.children)
        case_builder.county_cases(places, spec.cases_per_county)
        enrolment.used_ids.update(c["id_number"] for c in case_builder.children[first_child:])
        enrolment.county(places, case_builder.cases[first_case:], case_builder.children[first_child:])
    place_builder.wide_reviewers(province, cities[0], random.Random(f"{SEED}-{scale}-reviewers"))
    build_seconds = time.perf_counter() - started
    log(f"generated in {build_seconds:.1f} s; writing")

    writer.write(Area, place_builder.areas)
    writer.write(School, place_builder.schools)
    writer.write(User, place_builder.users)
    writer.write(Child, case_builder.children)
    writer.write(Child, enrolment.children)
    writer.write(Guardian, case_builder.guardians)
    writer.write(ChildGroup, case_builder.groups)
    writer.write(Case, case_builder.cases)
    writer.write(CaseReason, case_builder.reasons)
    writer.write(PlanItem, case_builder.plan_items)
    writer.write(Assignment, case_builder.assignments)
    writer.write(StageChange, case_builder.stage_changes)
    ladder = case_builder.ladder
    writer.write(Notice, ladder.notices)
    writer.write(NoticeCounter, ladder.counters)
    writer.write(LegalStep, ladder.legal_steps)
    writer.write(ClosureRequest, ladder.closure_requests)
    visit_builder = VisitBuilder(ctx, case_builder.profile, f"{SEED}-{scale}")
    writer.write(Visit, visit_builder.rows(case_builder.county_plans))
    writer.write(SupportMeasure, visit_builder.support_rows(case_builder.county_plans))
    writer.write(Enrolment, enrolment.enrolments)
    writer.write(ListEntry, enrolment.list_entries)
    for model in (Area, School, User, Child, Guardian, Case, PlanItem, Assignment, Enrolment, ListEntry):
        writer.sync_sequence(model)
    counts = dict(writer.counts)
    # the dashboards' trend: the past months rebuilt from the history, and tonight's count
    session.flush()
    counts["stats_snapshot"] = backfill_month_ends(ctx.today)
    counts["stats_snapshot"] += sum(build_statistics_snapshot(ctx.today)[k] for k in ("areas", "schools"))
    log(
        f"visits: {visit_builder.counts['done']:,} done, {visit_builder.counts['planned']:,} planned "
        f"({visit_builder.counts['overdue']:,} overdue, {visit_builder.counts['county_look']:,} county looks)"
    )

    def bulk_entry(summary, table, extra=None):
        return {
            "kind": "create",
            "module": "demo",
            "summary": summary,
            "user_id": admin["id"],
            "actor_name": admin["username"],
            "data": {"scale": scale, "rows": counts.get(table, 0), **(extra or {})},
        }

    counts["audit_entry"] = audit.append_many(
        session,
        [
            *case_builder.audit,
            bulk_entry("stage history loaded (demo data)", "stage_change"),
            bulk_entry(
                "ladder records loaded (demo data)",
                "notice",
                {
                    "legal_steps": counts.get("legal_step", 0),
                    "closure_requests": counts.get("closure_request", 0),
                    "notice_counters": counts.get("notice_counter", 0),
                    **dict(sorted(ladder.counts.items())),
                },
            ),
            bulk_entry("visits loaded (demo data)", "visit", {k: v for k, v in visit_builder.counts.items()}),
            bulk_entry("support measures loaded (demo data)", "support_measure"),
            bulk_entry(
                "enrolment register loaded (demo data)", "enrolment", {"list_entries": counts.get("list_entry", 0)}
            ),
            {
                "kind": "create",
                "module": "demo",
                "summary": f"demo data loaded ({scale} scale)",
                "user_id": admin["id"],
                "actor_name": admin["username"],
                "data": {"scale": scale, "counts": counts},
            },
        ],
    )
    session.flush()
    return SeedResult(scale, counts, time.perf_counter() - started, build_seconds)
