"""Demo visits (done and planned) and support measures, as rows for bulk insertion.

The case builder has already decided each case's stages, the dates it entered them and its last
contact; here each county's cases get exactly ``VISITS_PER_CASE`` visits per case between them:
one regular planned visit ahead for every visited open case (due by the cadence rule, so the
scheduler's planning finds nothing to change), a county-level monthly look for orphans and
de-facto unsupported children, and done visits spread over each case's history, the latest on
its last contact date. Every ladder rung a case stood on has at least two persuasion contacts,
one of them a home visit (the guard for leaving ``school_persuasion``).

Rows are generated one county at a time from a random generator of that county's own, so that
a province's million visits stream into COPY without being held in memory.
"""

import random
from datetime import timedelta
from types import SimpleNamespace

from caseworks.core.choices import LINE_OF_VISITOR, Line, Stage
from caseworks.demo import names
from caseworks.demo.history import at_local
from caseworks.visits import cadence

VISITS_PER_CASE = 10
#: share of cases whose last contact was a joint visit of both lines
JOINT_LAST_VISIT = 0.7
#: the two lines (双线控辍), each with a planned visit of its own
LINES = tuple(line.value for line in Line)
#: who went, by the line their visit counts for
TEACHER_LINE = {v.value for v, line in LINE_OF_VISITOR.items() if line == Line.TEACHER}
CADRE_LINE = {v.value for v, line in LINE_OF_VISITOR.items() if line == Line.CADRE}
NOT_VISITED = ("pending_review", "closed")
LADDER = ("school_persuasion", "township_persuasion", "administrative", "judicial")
#: done visits a rung (or another visited stage) has at least
MIN_VISITS = {"school_persuasion": 2, "township_persuasion": 2, "administrative": 2, "judicial": 2, "returned": 2}
#: most visits that count towards a case's share, per stage stay (long stays are not visited
#: every week in the demo data either)
MAX_SHARE = 14

METHODS = {
    "verification": (("home_visit", 55), ("phone", 35), ("meeting_school", 10)),
    "support": (("home_visit", 35), ("phone", 35), ("video", 10), ("meeting_school", 20)),
    "school_persuasion": (("home_visit", 58), ("phone", 24), ("video", 8), ("meeting_school", 10)),
    "ladder": (("home_visit", 55), ("phone", 20), ("video", 8), ("meeting_school", 7), ("meeting_township", 10)),
    "returned": (("phone", 35), ("meeting_school", 35), ("home_visit", 25), ("video", 5)),
}
OUTCOMES = {
    "verification": (
        ("agreed_to_return", 30),
        ("refused", 25),
        ("not_at_home", 20),
        ("in_school", 20),
        ("moved_away", 5),
    ),
    "support": (("in_school", 72), ("agreed_to_return", 14), ("not_at_home", 9), ("refused", 5)),
    "ladder": (("refused", 42), ("agreed_to_return", 28), ("not_at_home", 24), ("moved_away", 4), ("in_school", 2)),
    "returned": (("in_school", 88), ("not_at_home", 7), ("agreed_to_return", 4), ("refused", 1)),
}
#: (guardian attitude, child's willingness) by outcome, with weights
MOODS = {
    "agreed_to_return": (
        (("supportive", "willing"), 45),
        (("supportive", "hesitant"), 30),
        (("hesitant", "hesitant"), 15),
        (("hesitant", "willing"), 10),
    ),
    "refused": (
        (("opposed", "unwilling"), 35),
        (("hesitant", "unwilling"), 35),
        (("supportive", "unwilling"), 20),
        (("opposed", "hesitant"), 10),
    ),
    "in_school": ((("supportive", "willing"), 80), (("supportive", "hesitant"), 15), (("hesitant", "hesitant"), 5)),
    "moved_away": (((None, None), 1),),
    "not_at_home": (((None, None), 1),),
}
VISITORS = {
    "home_visit": (
        (("teacher", "cadre"), 45),
        (("teacher",), 25),
        (("cadre",), 15),
        (("teacher", "school_leader"), 8),
        (("teacher", "cadre", "school_leader"), 7),
    ),
    "phone": ((("teacher",), 70), (("cadre",), 30)),
    "video": ((("teacher",), 80), (("cadre",), 20)),
    "meeting_school": ((("teacher", "school_leader"), 1),),
    "meeting_township": ((("township_staff", "teacher", "cadre"), 1),),
}
PERSON_OF = {"teacher": "teacher", "cadre": "cadre", "school_leader": "principal", "township_staff": "official"}
SUPPORT_ODDS = 0.3
SUPPORT_FOR_REASON = {
    "poverty": "financial_aid",
    "learning_difficulty": "tutoring",
    "study_aversion": "counselling",
    "family_change": "counselling",
    "illness": "referral",
    "early_marriage": "referral",
    "working_away": "referral",
}


def _weighted(table):
    return [v for v, _ in table], [w for _, w in table]


METHOD_CHOICES = {k: _weighted(v) for k, v in METHODS.items()}
OUTCOME_CHOICES = {k: _weighted(v) for k, v in OUTCOMES.items()}
MOOD_CHOICES = {k: _weighted(v) for k, v in MOODS.items()}
VISITOR_CHOICES = {k: _weighted(v) for k, v in VISITORS.items()}


def group_of(stage):
    """The word pools a stage's visits draw from."""
    if stage in LADDER:
        return "ladder"
    return stage


class VisitBuilder:
    def __init__(self, ctx, profile, seed):
        self.ctx = ctx
        self.today = ctx.today
        self.now = ctx.now
        self.profile = profile
        self.seed = seed
        self.counts = {"planned": 0, "overdue": 0, "county_look": 0, "done": 0}

    # --- a county's visits ------------------------------------------------------------------

    def rows(self, county_plans):
        """All visit rows, county by county (a generator)."""
        for index, plans in enumerate(county_plans):
            rng = random.Random(f"{self.seed}-visits-{index}")
            yield from self.county(rng, plans)

    def county(self, rng, plans):
        visited = [plan["case"]["stage"] not in NOT_VISITED for plan in plans]
        looks = [plan["county_look"] and v for plan, v in zip(plans, visited, strict=True)]
        deferrals = [cadence.deferral_check_due(SimpleNamespace(**plan["case"])) for plan in plans]
        # each visited case has a planned visit for each line, and the county look if it gets one;
        # a health deferral the visit before it ends
        budget = VISITS_PER_CASE * len(plans) - len(LINES) * sum(visited) - sum(looks)
        budget -= sum(d is not None for d in deferrals)
        spans = [self._spans(plan) for plan in plans]
        wanted = _share_out(budget, spans)
        for plan, is_visited, look, deferral, segments, count in zip(
            plans, visited, looks, deferrals, spans, wanted, strict=True
        ):
            done = list(self._done(rng, plan, segments, count)) if count else []
            if deferral is not None:
                case = plan["case"]
                yield self._plan_row(
                    case,
                    deferral,
                    "deferral_check",
                    plan["people"]["teacher"],
                    at_local(rng, case["closed_date"], self.now, 18, 22),
                )
            look_row = self._county_look(rng, plan, done) if look else None
            if is_visited:
                yield from self._planned(rng, plan, done)
            if look_row is not None:
                yield look_row
            yield from done
        self.counts["done"] += sum(wanted)

    # --- planned visits -------------------------------------------------------------------------

    def _planned(self, rng, plan, done):
        """The case's regular planned visit ahead for each line, due by the cadence from that
        line's own last contact, for the person holding the line (as the scheduler plans them)."""
        case, people = plan["case"], plan["people"]
        row = SimpleNamespace(**case)
        for line in LINES:
            flag = f"is_{line}_line"
            contact = max((v["visit_date"] for v in done if v[flag]), default=None)
            due, purpose = cadence.next_due(row, self.profile, Line(line), contact)
            base = max(d for d in (contact, case["stage_entered_date"], case["opened_date"]) if d)
            planned = self._plan_row(case, due, purpose.value, people[line], at_local(rng, base, self.now, 18, 22))
            planned["line"] = line
            yield planned

    def _county_look(self, rng, plan, done):
        """The county-level monthly look (每月一看) of an orphan or de-facto unsupported child: one
        of the done visits was the last look (mostly within the month), made by the county
        reviewer with the teacher or cadre; the next is due the profile's interval after it, or
        after the case opened, and goes to the reviewer who made the last one (as the scheduler
        plans it) — or to nobody yet, when no look was made."""
        case = plan["case"]
        reviewer = plan["people"]["reviewer"]
        interval = self.profile.county_look_interval_days
        if rng.random() < 0.12:
            recent = self.today - timedelta(days=interval + rng.randint(1, 10))
        else:
            recent = self.today - timedelta(days=rng.randint(0, interval - 1))
        candidates = [v for v in done if v["visit_date"] <= recent]
        last_look = None
        if candidates and reviewer is not None:
            chosen = max(candidates, key=lambda v: v["visit_date"])
            chosen["purpose"] = "county_look"
            chosen["line"] = None
            chosen["due_date"] = chosen["due_date"] or chosen["visit_date"]
            chosen["assignee_id"] = reviewer["id"]
            chosen["logged_by_id"] = reviewer["id"]
            chosen["visitors"] = [*chosen["visitors"], "county_staff"]
            chosen["visitor_names"] = "、".join(
                dict.fromkeys([*chosen["visitor_names"].split("、"), reviewer["full_name"]])
            )
            chosen["planned_dt"] = chosen["planned_dt"] or at_local(
                rng, chosen["due_date"] - timedelta(days=interval), self.now, 18, 22
            )
            last_look = chosen["visit_date"]
        base = max(d for d in (last_look, case["opened_date"]) if d is not None)
        due = base + timedelta(days=interval)
        self.counts["county_look"] += 1
        assignee = reviewer if last_look is not None else None
        return self._plan_row(
            case, due, "county_look", assignee, at_local(rng, min(base, self.today), self.now, 18, 22)
        )

    def _plan_row(self, case, due, purpose, assignee, planned_dt):
        self.counts["planned"] += 1
        self.counts["overdue"] += due < self.today
        return {
            **_BLANK,
            "case_id": case["id"],
            "due_date": due,
            "purpose": purpose,
            "assignee_id": assignee["id"] if assignee else None,
            "planned_dt": planned_dt,
            "is_overdue": due < self.today,
            "visitors": [],
            "extra": {},
        }

    # --- done visits ----------------------------------------------------------------------------

    def _spans(self, plan):
        """The stretches of the case's history in which it was visited, as
        (stage, first day, last day, least visits, weight, index in the path), the last ending on
        its last contact."""
        case = plan["case"]
        last = case["last_contact_date"]
        if last is None:
            return []
        path, dates = plan["path"], plan["dates"]
        spans = []
        for i, stage in enumerate(path):
            if stage in NOT_VISITED or dates[i] > last:
                continue
            start = dates[i]
            if i + 1 < len(path):
                end = dates[i + 1] if path[i + 1] == "closed" else max(start, dates[i + 1] - timedelta(days=1))
            else:
                end = self.today
            end = min(end, last)
            interval = cadence.rule_for(Stage(stage), self.profile)[0]
            weight = min(MAX_SHARE, ((end - start).days + 1) / interval)
            spans.append((stage, start, end, MIN_VISITS.get(stage, 1), weight, i))
        if spans:  # the latest stretch ends on the last contact
            stage, start, _end, least, weight, i = spans[-1]
            spans[-1] = (stage, start, last, least, weight, i)
        return spans

    def _done(self, rng, plan, spans, count):
        case, people = plan["case"], plan["people"]
        extra = count - sum(s[3] for s in spans)
        per_span = [s[3] for s in spans]
        if extra > 0:
            picks = rng.choices(range(len(spans)), [s[4] + 0.1 for s in spans], k=extra)
            for p in picks:
                per_span[p] += 1
        path, dates = plan["path"], plan["dates"]
        dismissed = case["dismissed_reason"]
        location = (rng.uniform(24.7, 29.1), rng.uniform(103.7, 109.4)) if rng.random() < 0.5 else None
        last_index = len(spans) - 1
        for index, ((stage, start, end, _least, _weight, at), n) in enumerate(zip(spans, per_span, strict=True)):
            width = (end - start).days
            days = sorted(start + timedelta(days=rng.randint(0, width)) for _ in range(n))
            if index == last_index:
                days[-1] = end
            next_stage = path[at + 1] if at + 1 < len(path) else None
            returned_on = dates[at + 1] if next_stage == "returned" else None
            relapse = stage == "returned" and next_stage in LADDER
            for k, day in enumerate(days):
                final = k == n - 1
                outcome = None
                method = None
                if final and next_stage == "returned":
                    outcome = "agreed_to_return"
                elif final and dismissed and stage == "verification":
                    outcome = "in_school"
                elif final and relapse:  # the child stopped attending again
                    outcome, method = "refused", "home_visit"
                elif stage == "returned":  # a monitoring check at the school: the child is in class
                    outcome, method = "in_school", "meeting_school"
                yield self._visit(
                    rng,
                    case,
                    people,
                    plan["met"],
                    stage,
                    day,
                    # the case's last contact is made by the person whose planned visit it sets,
                    # mostly with the other line (a joint visit counts for both)
                    must=self._last_visitors(rng, plan) if index == last_index and final else (),
                    home=(k == 0 and stage in LADDER),
                    outcome=outcome,
                    method=method,
                    return_on=returned_on,
                    findings=dismissed if outcome and dismissed else None,
                    location=location,
                )

    @staticmethod
    def _last_visitors(rng, plan):
        """Who surely went on a case's last contact: the demo user whose planned visit it sets,
        and most often both lines together."""
        lines = [plan["assignee"]] if plan["assignee"] else []
        if rng.random() < JOINT_LAST_VISIT:
            lines += [line for line in LINES if line not in lines]
        return lines

    def _visit(
        self,
        rng,
        case,
        people,
        met,
        stage,
        day,
        *,
        home,
        outcome,
        return_on,
        findings,
        location,
        method=None,
        must=None,
    ):
        group = group_of(stage)
        method_key = "school_persuasion" if stage == "school_persuasion" else group
        if method is None:
            method = "home_visit" if home else rng.choices(*METHOD_CHOICES[method_key])[0]
        if outcome is None:
            outcome = rng.choices(*OUTCOME_CHOICES[group])[0]
            if outcome == "not_at_home" and method != "home_visit":
                outcome = (
                    "refused"
                    if group == "ladder"
                    else "in_school"
                    if group in ("support", "returned")
                    else "agreed_to_return"
                )
        attitude, willingness = rng.choices(*MOOD_CHOICES[outcome])[0]
        roles = rng.choices(*VISITOR_CHOICES[method])[0]
        if method == "home_visit" and stage in LADDER[1:] and rng.random() < 0.6:
            roles = (*roles, "township_staff")
        roles = [r for r in roles if people[PERSON_OF[r]] is not None]
        if "teacher" not in roles and "cadre" not in roles and (people["teacher"] or people["cadre"]):
            roles.insert(0, "teacher" if people["teacher"] else "cadre")  # the assignee goes and logs it
        for role in reversed(must):
            if people[role] is not None and role not in roles:
                roles.insert(0, role)
        if not roles:
            roles = ["school_leader"] if people["principal"] else ["township_staff"]
        visitors = [people[PERSON_OF[r]] for r in roles]
        logger = next((people[p] for p in ("teacher", "cadre") if p in roles), visitors[0])
        logger_line = next((p for p in ("teacher", "cadre") if p in roles), None)
        agreed = None
        if outcome == "agreed_to_return":
            agreed = day + timedelta(days=rng.randint(1, 10))
            if return_on is not None and return_on > day and stage in LADDER:
                agreed = return_on
        pools = names.FINDINGS[group]
        done_dt = at_local(rng, day, self.now, 8, 20)
        due = None
        purpose = "manual"
        planned_dt = None
        if rng.random() < 0.65:  # it was the planned visit of the time
            interval, rule = cadence.rule_for(Stage(stage), self.profile)
            due = day + timedelta(days=rng.randint(-4, 2))
            purpose = rule.value
            planned_dt = at_local(rng, due - timedelta(days=interval), self.now, 18, 22)
        lat = lon = None
        if location and method == "home_visit":
            lat, lon = (
                round(location[0] + rng.uniform(-0.01, 0.01), 6),
                round(location[1] + rng.uniform(-0.01, 0.01), 6),
            )
        return {
            **_BLANK,
            "case_id": case["id"],
            "due_date": due,
            "assignee_id": logger["id"] if due else None,
            "purpose": purpose,
            "line": logger_line if due else None,
            "is_teacher_line": bool(TEACHER_LINE & set(roles)),
            "is_cadre_line": bool(CADRE_LINE & set(roles)),
            "planned_dt": planned_dt,
            "is_overdue": False,
            "done_dt": done_dt,
            "visit_date": day,
            "logged_by_id": logger["id"],
            "method": method,
            "visitors": roles,
            "visitor_names": "、".join(dict.fromkeys(v["full_name"] for v in visitors)),
            "met_with": _met_with(rng, met, method, outcome),
            "findings": findings or rng.choice(pools.get(outcome) or pools[next(iter(pools))]),
            "guardian_attitude": attitude,
            "child_willingness": willingness,
            "outcome": outcome,
            "agreed_return_date": agreed,
            "next_step": rng.choice(names.NEXT_STEPS[group]),
            "latitude": lat,
            "longitude": lon,
            "stage_at_visit": stage,
            "extra": {},
        }

    # --- support measures -----------------------------------------------------------------------

    def support_rows(self, county_plans):
        rng = random.Random(f"{self.seed}-support")
        for plans in county_plans:
            for plan in plans:
                case = plan["case"]
                if case["stage"] == "verification" or rng.random() >= SUPPORT_ODDS:
                    continue
                kinds = list(dict.fromkeys(SUPPORT_FOR_REASON[r] for r in plan["reasons"] if r in SUPPORT_FOR_REASON))
                kinds = kinds[:2] or [rng.choice(("tutoring", "counselling", "boarding_transport"))]
                people = plan["people"]
                author = people["teacher"] or people["principal"] or people["official"]
                for kind in kinds:
                    detail = rng.choice(names.SUPPORT_DETAILS[kind])
                    start = case["opened_date"] + timedelta(days=rng.randint(0, 20))
                    start = min(start, self.today)
                    end = start + timedelta(days=rng.choice((90, 120, 180)))
                    if kind == "referral":
                        responsible = "学校控辍专干"
                    elif kind == "financial_aid":
                        responsible = "学校资助专干"
                    else:
                        responsible = f"班主任 {people['teacher']['full_name']}" if people["teacher"] else "班主任"
                    yield {
                        "case_id": case["id"],
                        "kind": kind,
                        "detail": detail,
                        "department": names.REFERRAL_DEPARTMENTS.get(detail, ""),
                        "responsible": responsible,
                        "start_date": start,
                        "end_date": end if end < self.today or rng.random() < 0.5 else None,
                        "created_by_id": author["id"],
                        "created_dt": at_local(rng, start, self.now),
                    }


_BLANK = {
    "case_id": None,
    "client_uuid": None,
    "due_date": None,
    "assignee_id": None,
    "purpose": "manual",
    "line": None,
    "planned_dt": None,
    "cancelled_dt": None,
    "is_overdue": False,
    "reminded_dt": None,
    "done_dt": None,
    "visit_date": None,
    "logged_by_id": None,
    "method": None,
    "visitors": [],
    "visitor_names": "",
    "is_teacher_line": False,
    "is_cadre_line": False,
    "met_with": "",
    "findings": "",
    "guardian_attitude": None,
    "child_willingness": None,
    "outcome": None,
    "agreed_return_date": None,
    "next_step": "",
    "latitude": None,
    "longitude": None,
    "stage_at_visit": None,
    "extra": {},
}


def _met_with(rng, met, method, outcome):
    if outcome == "not_at_home":
        return rng.choice(("邻居", "", "村民小组长"))
    home = [word for word, away in met if not away]
    away = [word for word, away in met if away]
    if method == "phone":
        return rng.choice(away or home or ["孩子本人"])
    if method == "video":
        return "、".join([*(away or home)[:1], "孩子本人"])
    people = (home or away)[:2] if method == "home_visit" else (home or away)[:1]
    if rng.random() < 0.65:
        people = [*people, "孩子本人"]
    return "、".join(people)


def _share_out(budget, spans):
    """Done visits per case: each case's least, the rest of ``budget`` in proportion to how
    long the case has been visited (largest remainders), so the county total is exact."""
    least = [sum(s[3] for s in case_spans) for case_spans in spans]
    weights = [sum(s[4] for s in case_spans) for case_spans in spans]
    extra = budget - sum(least)
    if extra < 0:
        raise ValueError("more visits are needed than the county's budget allows")
    total = sum(weights)
    if total == 0:
        return least
    quotas = [extra * w / total for w in weights]
    counts = [int(q) for q in quotas]
    left = extra - sum(counts)
    order = sorted(range(len(quotas)), key=lambda i: (counts[i] - quotas[i], i))
    for i in order[:left]:
        counts[i] += 1
    return [a + b for a, b in zip(least, counts, strict=True)]
