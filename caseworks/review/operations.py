"""The county review's changes: deciding closure requests, drawing spot checks and recording
their results, and recording exports of the audit trail.

Stage changes go through :func:`caseworks.ladder.transitions.apply` (which writes the stage
change and its audit entry); nothing here writes ``Case.stage``. Nothing here commits.
"""

import math
import random
import secrets

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from caseworks.core import audit, clock
from caseworks.core.choices import Role, Stage
from caseworks.core.errors import Refused, check_version
from caseworks.extensions import db
from caseworks.ladder import transitions
from caseworks.review.models import SpotCheck, SpotCheckItem, SpotCheckResult

MODULE = "review"
#: the largest sample one draw may hold, whatever the percent
MAX_PERCENT = 100


class ReviewError(Refused):
    """A rule of the review refused the change."""


def approve_closure(case, reviewer, *, version, note=""):
    """Approve the case's open closure request: the case closes with the requested outcome.

    Refused if the case changed since the reviewer loaded it (VersionConflict) and, by the
    transition, if the reviewer asked for the closure themselves or there is nothing to decide.
    """
    check_version(case, version)
    return transitions.apply(case, "approve_closure", reviewer, reason=note or "")


def send_back(case, reviewer, *, version, reason):
    """Send the closure request back with a reason: the case returns to the stage it came from
    and its teacher, cadre and requester are told (by the transition)."""
    check_version(case, version)
    if not (reason or "").strip():
        raise ReviewError(_l("Give the reason for sending the case back."), "reason")
    return transitions.apply(case, "send_back", reviewer, reason=reason)


# -- spot checks ---------------------------------------------------------------------------


def sample_size(population, percent):
    """``ceil(percent % of population)``, at least 1 when there is anyone to draw."""
    if population <= 0:
        return 0
    return min(population, max(1, math.ceil(population * percent / 100)))


def sample_ids(sorted_ids, percent, seed):
    """The reproducible draw: the same seed and population always give the same ids."""
    return random.Random(seed).sample(list(sorted_ids), sample_size(len(sorted_ids), percent))


def new_seed():
    """A fresh random seed for a spot-check draw (recorded, so the draw can be repeated)."""
    return secrets.randbits(62)


def draw_spot_check(reviewer, population_ids, *, start, end, percent, seed=None):
    """Draw a sample of the approved returns ``population_ids`` (the reviewer's county,
    approvals decided from ``start`` to ``end``) and record the draw with its seed, so that
    anyone can draw it again and get the same cases."""
    if reviewer.role != Role.COUNTY_REVIEWER or reviewer.county_id is None:
        raise ReviewError(_l("Only a county reviewer draws spot checks."))
    if not 1 <= percent <= MAX_PERCENT:
        raise ReviewError(_l("Enter a percentage from 1 to 100."), "percent")
    if start > end:
        raise ReviewError(_l("The end of the period lies before its start."), "end_date")
    population = sorted(population_ids)
    if not population:
        raise ReviewError(_l("No return to school was approved in this period: there is nothing to draw."))
    seed = new_seed() if seed is None else seed
    chosen = sample_ids(population, percent, seed)
    spot_check = SpotCheck(
        county_id=reviewer.county_id,
        drawn_by_id=reviewer.id,
        drawn_dt=clock.now(),
        period_start_date=start,
        period_end_date=end,
        percent=percent,
        seed=seed,
        population_size=len(population),
        case_ids=chosen,
    )
    spot_check.items = [SpotCheckItem(case_id=case_id, position=i) for i, case_id in enumerate(chosen)]
    db.session.add(spot_check)
    db.session.flush()
    audit.record(
        "spot_check",
        f"spot check {spot_check.id} drawn: {len(chosen)} of {len(population)}",
        module=MODULE,
        actor=reviewer,
        target=spot_check,
        data={
            "period_start_date": start,
            "period_end_date": end,
            "percent": percent,
            "seed": seed,
            "population_size": len(population),
            "case_ids": chosen,
        },
    )
    return spot_check


def record_spot_check_result(item, reviewer, *, result, notes, checked_date):
    """Record what the field check found. A child not found in school reopens the case through
    the ``reopen`` transition (back to the ladder, counted as a relapse). A result, once
    recorded, stays: a second look is a new spot check."""
    if item.is_recorded:
        raise ReviewError(_l("The result of this check is already recorded."))
    if result not in set(SpotCheckResult):
        raise ReviewError(_l("Choose a result from the list."), "result")
    notes = (notes or "").strip()
    if result == SpotCheckResult.OTHER and not notes:
        raise ReviewError(_l("Describe what was found."), "notes")
    if checked_date is None or checked_date > clock.today():
        raise ReviewError(_l("Enter the day of the check (not in the future)."), "checked_date")
    case = item.case
    item.result = result
    item.notes = notes
    item.checked_date = checked_date
    item.recorded_by_id = reviewer.id
    item.recorded_dt = clock.now()
    if result == SpotCheckResult.NOT_FOUND and case.stage == Stage.CLOSED:
        reason = _(
            "Spot check %(no)s on %(date)s: the child was not found in school.",
            no=item.spot_check_id,
            date=format_date(checked_date),
        )
        transitions.apply(case, "reopen", reviewer, reason=f"{reason} {notes}".strip())
        item.is_reopened = True
    db.session.flush()
    audit.record(
        "spot_check",
        f"spot check {item.spot_check_id}: case {case.id} {result}",
        module=MODULE,
        actor=reviewer,
        target=item,
        case=case,
        data={"result": result, "notes": notes, "checked_date": checked_date, "reopened": item.is_reopened},
    )
    return item


# -- exports -------------------------------------------------------------------------------


def record_export(user, *, filters, rows, truncated):
    """Write the export of the audit trail to the trail itself (who took what)."""
    return audit.record(
        "export",
        f"audit trail exported: {rows} rows",
        module=MODULE,
        actor=user,
        data={"filters": filters, "rows": rows, "truncated": truncated, "format": "xlsx"},
    )
