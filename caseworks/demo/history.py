"""How a demo case got to its stage: the stages it passed through, the dates it entered each
and the StageChange rows (named transitions) that moved it, as rows for bulk insertion."""

from datetime import UTC, timedelta

from caseworks.core import clock
from caseworks.demo import names

LADDER = ("school_persuasion", "township_persuasion", "administrative", "judicial")
#: the rung a returned child came back from, and how often
RESUME_WEIGHTS = (50, 30, 15, 5)
#: outcomes that come after a return (returned → monitoring → pending_review); the others are
#: asked for straight from the ladder
OUTCOMES_AFTER_RETURN = ("returned_to_school", "vocational_school")
MONITORING_DAYS = 30
#: made by the scheduler, with no actor
SYSTEM_TRANSITIONS = ("end_monitoring",)


def transition_name(from_stage, to_stage, outcome=None):
    """The transition that moves a case from ``from_stage`` to ``to_stage``; ``outcome`` is the
    closure outcome asked for (a return is monitored to its end, anything else is asked for)."""
    if to_stage == "closed":
        return "dismiss_suspicion" if from_stage == "verification" else "approve_closure"
    if to_stage == "pending_review":
        if from_stage == "returned" and outcome in (None, "returned_to_school"):
            return "end_monitoring"
        return "request_closure"
    if to_stage == "returned":
        return "record_return"
    if from_stage == "returned":
        return "relapse"
    if from_stage == "verification":
        return "confirm_dropout"
    if from_stage == "support":
        return "stopped_attending"
    return {
        "township_persuasion": "escalate_township",
        "administrative": "escalate_administrative",
        "judicial": "escalate_judicial",
    }[to_stage]


def path_to(rng, kind, stage, resume, outcome, relapse=False):
    """The stages a case of ``kind`` went through to reach ``stage``, first to last.

    ``outcome`` is the closure outcome of a closed case, or the one a case waiting for review
    asked for: a return to school comes through a monitoring period, the others straight from
    the ladder (vocational school after a return too, for closed cases). ``relapse``: the child
    returned once and stopped again during monitoring (…, rung, returned, rung, …).
    """
    if stage in ("verification", "support"):
        return [stage]
    if kind == "suspected" and stage == "closed":
        return ["verification", "closed"]
    prefix = []
    if kind == "dropped_out":
        draw = rng.random()
        prefix = ["verification"] if draw < 0.2 else ["support"] if draw < 0.3 else []
    if stage in LADDER:
        path = prefix + list(LADDER[: LADDER.index(stage) + 1])
    elif stage in ("returned", "pending_review"):
        top = resume or "school_persuasion"
        if stage == "returned":
            tail = ["returned"]
        elif outcome in (None, "returned_to_school"):
            tail = ["returned", "pending_review"]
        else:
            tail = ["pending_review"]
        path = prefix + list(LADDER[: LADDER.index(top) + 1]) + tail
    else:  # closed after the ladder
        top = resume or rng.choices(LADDER, RESUME_WEIGHTS)[0]
        tail = (
            ["returned", "pending_review", "closed"]
            if outcome in OUTCOMES_AFTER_RETURN
            else ["pending_review", "closed"]
        )
        path = prefix + list(LADDER[: LADDER.index(top) + 1]) + tail
    if relapse:
        rungs = [i for i, s in enumerate(path) if s in LADDER]
        at = rng.choice(rungs)
        path = path[: at + 1] + ["returned", path[at]] + path[at + 1 :]
    return path


def entry_dates(rng, path, opened, entered):
    """The date the case entered each stage of ``path``: the first on ``opened``, the last on
    ``entered``; a monitoring period of about 30 days before pending_review, a review of a few
    days before closing, the ladder rungs spread over what is left."""
    n = len(path)
    dates = [None] * n
    dates[0], dates[-1] = opened, entered
    fixed_from = n - 1  # dates[fixed_from:] are set
    if n >= 2 and path[-1] == "closed" and path[-2] == "pending_review" and n >= 3:
        dates[-2] = max(opened, entered - timedelta(days=rng.randint(1, 10)))
        fixed_from = n - 2
    if fixed_from >= 2 and path[fixed_from] == "pending_review" and path[fixed_from - 1] == "returned":
        back = MONITORING_DAYS + rng.randint(0, 3)
        dates[fixed_from - 1] = max(opened, dates[fixed_from] - timedelta(days=back))
        fixed_from -= 1
    free = list(range(1, fixed_from))
    if free:
        low, high = opened, dates[fixed_from]
        span = (high - low).days
        if span > len(free):
            offsets = sorted(rng.sample(range(1, span), len(free)))
        else:
            offsets = sorted(rng.randint(0, span) for _ in free)
        for index, offset in zip(free, offsets, strict=True):
            dates[index] = low + timedelta(days=offset)
    return dates


#: least days between entering one stage and the next (one, unless named here): a notice is
#: served in township persuasion before the administrative procedure; the judicial one starts
#: after a deadline of 15 days lapsed; a monitoring period of 30 days ends before review
MIN_GAPS = {
    ("school_persuasion", "township_persuasion"): 2,
    ("township_persuasion", "administrative"): 3,
    ("administrative", "judicial"): 17,
    ("judicial", "returned"): 2,
    ("administrative", "returned"): 1,
    ("township_persuasion", "returned"): 1,
    ("pending_review", "closed"): 1,
}


def enforce_gaps(rng, path, dates, outcome=None):
    """Move earlier entry dates back (never the last one) so that each stay is long enough for
    what happened in it (MIN_GAPS); a relapse comes 8–25 days into the monitoring period."""
    dates = list(dates)
    for i in range(len(path) - 2, -1, -1):
        here, there = path[i], path[i + 1]
        if here == "returned" and there in LADDER:  # a relapse
            dates[i] = dates[i + 1] - timedelta(days=rng.randint(8, 25))
            continue
        gap = MIN_GAPS.get((here, there), 1)
        if here == "returned" and there == "pending_review" and outcome in (None, "returned_to_school"):
            gap = MONITORING_DAYS
        dates[i] = min(dates[i], dates[i + 1] - timedelta(days=gap))
    return dates


def at_local(rng, day, now, first_hour=9, last_hour=17):
    """A UTC datetime on local date ``day`` during working hours, never after ``now``."""
    moment = clock.local_date_start(day) + timedelta(
        hours=rng.randint(first_hour, last_hour), minutes=rng.randrange(60)
    )
    return min(moment, now).astimezone(UTC)


def stage_changes(rng, case, path, dates, people, now, outcome):
    """StageChange rows for the transitions along ``path`` (``outcome``: the closure outcome
    asked for, if the case reached review). The evidence of the escalations is filled in by
    the ladder records (caseworks.demo.ladder) once the notices are numbered."""
    rows = []
    for index in range(1, len(path)):
        from_stage, to_stage = path[index - 1], path[index]
        name = transition_name(from_stage, to_stage, outcome)
        day = dates[index]
        if name == "dismiss_suspicion":
            reason = case["dismissed_reason"] or ""
        elif name == "request_closure" and outcome in names.CLOSURE_REQUESTS:
            reason = names.CLOSURE_REQUESTS[outcome]
        else:
            reason = rng.choice(names.TRANSITION_REASONS[name])
        evidence = names.EVIDENCE.get(name, "")
        if "{" in evidence:  # names a notice or a legal step: filled in by caseworks.demo.ladder
            evidence = ""
        rows.append(
            {
                "case_id": case["id"],
                "transition": name,
                "from_stage": from_stage,
                "to_stage": to_stage,
                "actor_id": _actor(name, people)["id"] if name not in SYSTEM_TRANSITIONS else None,
                "changed_dt": at_local(rng, day, now),
                "reason": reason,
                "evidence": evidence,
            }
        )
    return rows


def _actor(name, people):
    """Who makes a transition (as the transitions' role rules allow): teachers confirm and report
    relapses, the school (or the township) escalates, records returns and asks for closure, the
    township starts the procedures, the county reviewer closes."""
    school_side = people["principal"] or people["official"]
    if name in ("confirm_dropout", "stopped_attending", "relapse"):
        return people["teacher"] or people["cadre"] or school_side
    if name in ("dismiss_suspicion", "escalate_township", "request_closure", "record_return"):
        return school_side
    if name in ("escalate_administrative", "escalate_judicial"):
        return people["official"]
    return people["reviewer"]
