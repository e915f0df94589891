"""Demo children and their cases, as rows for bulk insertion."""

from datetime import UTC, date, datetime, time, timedelta

from caseworks.core import idnumber
from caseworks.core.choices import COUNTY_LOOK_GROUPS, DisabilityType, DropoutReason, SchoolKind, SpecialGroup, Stage
from caseworks.core.policy import defaults as default_profile
from caseworks.demo import history, names
from caseworks.demo.ladder import LadderBuilder
from caseworks.demo.places import SCHOOL_GRADES
from caseworks.visits import cadence

#: (kind, stage) and how many cases in a hundred are like that
CASE_MIX = (
    (("suspected", "verification"), 9),
    (("suspected", "closed"), 3),
    (("at_risk", "support"), 16),
    (("dropped_out", "school_persuasion"), 14),
    (("dropped_out", "township_persuasion"), 9),
    (("dropped_out", "administrative"), 5),
    (("dropped_out", "judicial"), 2),
    (("dropped_out", "returned"), 7),
    (("dropped_out", "pending_review"), 4),
    (("dropped_out", "closed"), 20),
    (("never_enrolled", "school_persuasion"), 3),
    (("never_enrolled", "township_persuasion"), 2),
    (("never_enrolled", "administrative"), 1),
    (("never_enrolled", "judicial"), 0.5),
    (("never_enrolled", "returned"), 1.5),
    (("never_enrolled", "pending_review"), 0.5),
    (("never_enrolled", "closed"), 2.5),
)
#: the demo school's own cases, assigned to teacher1 and cadre1: every stage and kind
DEMO_MIX = (
    ("suspected", "verification"),
    ("at_risk", "support"),
    ("dropped_out", "school_persuasion"),
    ("dropped_out", "township_persuasion"),
    ("dropped_out", "administrative"),
    ("dropped_out", "judicial"),
    ("dropped_out", "returned"),
    ("dropped_out", "pending_review"),
    ("dropped_out", "closed"),
    ("suspected", "closed"),
    ("at_risk", "support"),
    ("dropped_out", "school_persuasion"),
) * 2 + (
    ("never_enrolled", "school_persuasion"),
    ("never_enrolled", "township_persuasion"),
    ("dropped_out", "pending_review"),
)
#: what the demo school's cases waiting for review asked for, in order, and who asked: principal1
#: asks for two (the review journey's), the second is a return whose monitoring ended
DEMO_PENDING = ("transferred_out", "returned_to_school", "health_deferral")

COUNTY_LOOK = {g.value for g in COUNTY_LOOK_GROUPS}
FIRST_STAGES = ("verification", "support", "school_persuasion")
LADDER = ("school_persuasion", "township_persuasion", "administrative", "judicial")
#: days the case has been open at least / at most, by stage
OPEN_SPAN = {
    "verification": (0, 20),
    "support": (0, 150),
    "school_persuasion": (3, 90),
    "township_persuasion": (30, 200),
    "administrative": (60, 300),
    "judicial": (120, 500),
    "returned": (40, 400),
    "pending_review": (45, 450),
    "closed": (60, 700),
}
GROUP_ODDS = (
    (SpecialGroup.LEFT_BEHIND, 0.32),
    (SpecialGroup.POVERTY, 0.22),
    (SpecialGroup.SINGLE_PARENT, 0.08),
    (SpecialGroup.LEARNING_DIFFICULTY, 0.15),
    (SpecialGroup.MIGRANT, 0.05),
    (SpecialGroup.DISABLED, 0.04),
    (SpecialGroup.ORPHAN, 0.015),
    (SpecialGroup.UNSUPPORTED, 0.02),
    (SpecialGroup.LEGAL_CASE, 0.01),
)
REASON_WEIGHTS = {
    "study_aversion": 30,
    "learning_difficulty": 20,
    "poverty": 10,
    "working_away": 12,
    "early_marriage": 3,
    "illness": 5,
    "family_change": 8,
    "study_useless": 6,
    "religion": 1,
    "other": 5,
}
CLOSED_OUTCOMES = (
    ("returned_to_school", 78),
    ("vocational_school", 8),
    ("transferred_out", 7),
    ("health_deferral", 4),
    ("aged_out", 3),
)
#: what a case waiting for review asked for: mostly a return whose monitoring ended
PENDING_OUTCOMES = (
    ("returned_to_school", 75),
    ("transferred_out", 8),
    ("vocational_school", 5),
    ("health_deferral", 5),
    ("moved_abroad", 2),
    ("aged_out", 2),
    ("deceased", 0.5),
)
#: closed cases whose closure was approved in the last RECENT_DAYS days (spot checks draw from them)
RECENT_CLOSED_ODDS, RECENT_DAYS = 0.12, 60
#: returned cases whose monitoring period has just ended (the scheduler sends them to review)
RETURNED_BACK_DAYS = 31
DISMISSED_REASONS = (
    "已转学至外县就读，学籍已转出",
    "因病住院请假，已提供病历",
    "随父母外出，已在务工地学校就读",
    "系学籍信息错误，本人在校正常上课",
)
assert {s.value for s in DropoutReason} == set(REASON_WEIGHTS)
#: share of open cases (that could be) whose next planned visit is already overdue
OVERDUE_ODDS = 0.16
#: what "my visits" of teacher1 and cadre1 must show: one planned visit in each section
DEMO_SLOTS = ("later", "overdue", "today", "week")


class CaseBuilder:
    def __init__(self, ctx):
        self.ctx = ctx
        self.rng = ctx.rng
        self.today = ctx.today
        self.children, self.guardians, self.groups = [], [], []
        self.cases, self.reasons, self.plan_items, self.assignments = [], [], [], []
        self.stage_changes = []
        self.audit = []
        #: per county: what the visit builder needs to know of each case (see caseworks.demo.visits)
        self.county_plans = []
        self.profile = default_profile()
        self.ladder = LadderBuilder(ctx, self.profile)
        self._demo_pending = []
        self._mix = [m for m, _ in CASE_MIX]
        self._mix_weights = [w for _, w in CASE_MIX]

    def county_cases(self, places, count):
        """``count`` cases spread over the county; in the demo county the first ones belong
        to the demo school, village, teacher and cadre."""
        used_ids = set()
        demo = places.demo
        self.county_plans.append([])
        slots = _demo_slots() if demo else []
        self._demo_pending = list(DEMO_PENDING) if demo else []
        for n in range(count):
            if demo and n < len(DEMO_MIX):
                kind, stage = DEMO_MIX[n]
                slot = slots[n] if n < len(slots) else (None, None)
                self._case(places, kind, stage, used_ids, village=demo["village"], demo=demo, slot=slot)
            else:
                kind, stage = self.rng.choices(self._mix, self._mix_weights)[0]
                self._case(places, kind, stage, used_ids)
        self.ladder.finish_county()

    # --- one child, one case ------------------------------------------------------------------

    def _age(self, kind, demo):
        rng = self.rng
        if kind == "never_enrolled":
            return rng.choice((6, 6, 6, 7, 7, 8, 9, 11))
        if demo:
            return rng.randint(7, 12)
        if kind == "at_risk":
            return rng.randint(8, 15)
        return rng.choice((9, 10, 11, 12, 12, 13, 13, 14, 14, 14, 15, 15, 15, 16))

    def _birth(self, age):
        # born between age+1 years ago (exclusive) and age years ago: ``age`` on today's date
        latest = _years_before(self.today, age)
        earliest = _years_before(self.today, age + 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def _id_number(self, region, birth, gender, used):
        while True:
            seq = self.rng.randrange(1, 500) * 2 + (1 if gender == "male" else 0)
            if seq > 999:
                continue
            number = idnumber.make(region, birth, seq)
            if number not in used:
                used.add(number)
                return number

    def _groups(self):
        found = [g for g, odds in GROUP_ODDS if self.rng.random() < odds]
        if SpecialGroup.ORPHAN in found and SpecialGroup.UNSUPPORTED in found:
            found.remove(SpecialGroup.UNSUPPORTED)
        return found

    def _school_for(self, places, village, grade, groups, disability):
        rng = self.rng
        if disability in (DisabilityType.INTELLECTUAL, DisabilityType.MULTIPLE) and rng.random() < 0.4:
            return places.special_school
        township_id = village["township_id"]
        if rng.random() < 0.12:  # boarding at a school in another township
            township_id = rng.choice(places.townships)["id"]
        options = [
            s
            for s in places.schools_of[township_id]
            if s["kind"] != SchoolKind.SPECIAL and grade in SCHOOL_GRADES[SchoolKind(s["kind"])]
        ]
        return rng.choice(options)

    def _case(self, places, kind, stage, used_ids, *, village=None, demo=None, slot=(None, None)):
        rng, ctx = self.rng, self.ctx
        village = village or rng.choice(places.villages)
        gender = rng.choice(("male", "female"))
        age = self._age(kind, demo)
        birth = self._birth(age)
        region = places.county["code"][:6]
        id_number = self._id_number(region, birth, gender, used_ids)
        groups = self._groups()
        disability = rng.choice(list(DisabilityType)) if SpecialGroup.DISABLED in groups else None
        surname = rng.choice(names.SURNAMES)
        child_id = ctx.take_id("child")
        enrolled = kind != "never_enrolled"
        self.children.append(
            {
                "id": child_id,
                "name": names.child_name(rng, gender, surname),
                "gender": gender,
                "birth_date": birth,
                "id_number": id_number,
                "student_no": "G" + id_number if enrolled else None,
                "household_village_id": village["id"],
                "address": names.address(rng, village["name"]),
                "disability_type": disability.value if disability else None,
                "created_dt": ctx.now,
            }
        )
        self.groups.extend({"child_id": child_id, "group": g.value} for g in groups)
        first_guardian = len(self.guardians)
        met = self._guardians(child_id, surname, groups)

        # where the case belongs and who holds it
        grade_no = min(9, max(1, age - 5))
        if demo and kind != "never_enrolled":
            school = demo["school"]
        elif enrolled:
            school = self._school_for(places, village, grade_no, groups, disability)
        else:
            school = None
        if demo:
            teacher, cadre, opener = demo["teacher"], demo["cadre"], demo["principal"]
        else:
            home_school = school or places.schools_of[village["township_id"]][0]
            teacher = rng.choice(places.teachers_of[home_school["id"]])
            cadre = places.cadre_of[village["id"]]
            opener = places.admin_of[school["id"]] if school else places.official_of[village["township_id"]]
            if stage in FIRST_STAGES and rng.random() < 0.25:
                gap = rng.random()
                teacher = None if gap < 0.6 else teacher
                cadre = None if gap >= 0.4 else cadre

        # dates
        low, high = OPEN_SPAN[stage]
        opened = self.today - timedelta(days=rng.randint(low, high))
        open_days = (self.today - opened).days
        if stage in FIRST_STAGES:
            entered = opened
        elif stage in ("returned", "pending_review"):
            if stage == "returned":
                back = rng.randint(0, RETURNED_BACK_DAYS)
            else:  # the demo school's requests have waited longest: first in reviewer1's queue
                back = rng.randint(13, 15) if demo else rng.randint(0, 12)
            entered = max(opened, self.today - timedelta(days=back))
        elif stage == "closed" and kind == "suspected":
            entered = opened + timedelta(days=rng.randint(min(open_days, 5), min(open_days, 40)))
        elif stage == "closed":
            entered = opened + timedelta(days=rng.randint(min(open_days, 40), open_days))
            if rng.random() < RECENT_CLOSED_ODDS:
                entered = max(entered, self.today - timedelta(days=rng.randint(0, RECENT_DAYS - 1)))
        else:
            entered = opened + timedelta(days=rng.randint(min(open_days, 14), open_days))
        dropout = None
        if kind in ("dropped_out", "suspected"):
            start = opened - timedelta(days=rng.randint(3, 60))
            dropout = start.replace(day=1)

        reasons = self._reasons(kind, groups)
        outcome, dismissed = None, None
        if stage == "closed":
            if kind == "suspected":
                outcome, dismissed = "dismissed", rng.choice(DISMISSED_REASONS)
            elif disability is not None and rng.random() < 0.6:
                outcome = rng.choice(("home_schooling", "special_school"))
            else:
                outcome = rng.choices([o for o, _ in CLOSED_OUTCOMES], [w for _, w in CLOSED_OUTCOMES])[0]
        resume = rng.choices(LADDER, history.RESUME_WEIGHTS)[0] if stage in ("returned", "pending_review") else None
        relapses = 1 if kind != "suspected" and stage not in FIRST_STAGES and rng.random() < 0.04 else 0
        asked, requester = outcome, None
        if stage == "pending_review":
            if demo and self._demo_pending:
                asked = self._demo_pending.pop(0)
                requester = demo["principal"]
            else:
                asked = self._asked_for(age, disability)

        # the stages it went through, and when its last contact was
        path = history.path_to(rng, kind, stage, resume, asked, relapse=bool(relapses))
        if len(path) > 1 and stage == "school_persuasion":  # confirmed or stopped attending first
            entered = opened + timedelta(days=rng.randint(0, min(open_days, 10)))
        slot_name, slot_assignee = slot
        target = self._slot_contact(stage, slot_name) if slot_name else None
        if target is not None and entered > target:
            entered = target - timedelta(days=rng.randint(0, 3))
            opened = entered if len(path) == 1 else min(opened, entered - timedelta(days=10 * (len(path) - 1)))
        dates = history.enforce_gaps(rng, path, history.entry_dates(rng, path, opened, entered), asked)
        if dates[0] < opened:  # the ladder took longer than drawn: the case opened earlier
            opened = dates[0]
            if dropout is not None and dropout > opened:
                dropout = opened.replace(day=1)
        last_contact = target if target is not None else self._last_contact(stage, path, dates)
        # as the scheduler's flag_stale_cases has it: a visited case with no contact for 30 days
        is_stale = stage not in ("pending_review", "closed") and (self.today - (last_contact or opened)).days > 30
        case_id = ctx.take_id("case_file")
        self.cases.append(
            {
                "id": case_id,
                "child_id": child_id,
                "kind": kind,
                "stage": stage,
                "opened_date": opened,
                "opened_by_id": opener["id"],
                "dropout_date": dropout,
                "situation": names.situation(rng, kind, stage, reasons, dropout),
                "school_id": school["id"] if school else None,
                "grade": names.GRADES[grade_no - 1] if school else None,
                "class_name": f"{rng.randint(1, 6)}班" if school else None,
                "village_id": village["id"],
                "township_id": village["township_id"],
                "county_id": village["county_id"],
                "school_township_id": school["township_id"] if school else None,
                "teacher_id": teacher["id"] if teacher else None,
                "cadre_id": cadre["id"] if cadre else None,
                "plan_summary": names.plan_summary(rng, kind, reasons),
                "stage_entered_date": entered,
                "resume_stage": resume,
                "relapse_count": relapses,
                "last_contact_date": last_contact,
                "is_stale": is_stale,
                "dismissed_reason": dismissed,
                "closed_outcome": outcome,
                "closed_date": entered if stage == "closed" else None,
                "closed_until": None,
                "return_date": None,
                "return_school_id": None,
                "return_class": None,
                "return_confirmed_by": None,
                "monitoring_until": None,
                "version": 1,
            }
        )
        self.reasons.extend({"case_id": case_id, "reason": r} for r in reasons)
        opened_dt = datetime.combine(opened, time(9, 0), tzinfo=UTC)
        for reason in reasons:
            measure, role_name = names.REASON_MEASURES[reason]
            if role_name in ("班主任", "包保教师"):
                person = teacher
            elif role_name.startswith("乡镇"):
                person = places.official_of[village["township_id"]]
            else:
                person = None
            responsible = f"{role_name} {person['full_name']}" if person else role_name
            self.plan_items.append(
                {
                    "case_id": case_id,
                    "measure": measure,
                    "responsible": responsible,
                    "target_date": opened + timedelta(days=rng.choice((14, 30, 30, 45, 60))),
                    "created_dt": opened_dt,
                    "created_by_id": opener["id"],
                }
            )
        for line, user in (("teacher", teacher), ("cadre", cadre)):
            if user is not None:
                self.assignments.append(
                    {
                        "case_id": case_id,
                        "line": line,
                        "user_id": user["id"],
                        "assigned_by_id": opener["id"],
                        "assigned_dt": opened_dt,
                        "ended_dt": None,
                    }
                )
        self.audit.append(
            {
                "kind": "create",
                "module": "cases",
                "summary": "case opened (demo data)",
                "user_id": opener["id"],
                "actor_name": opener["username"],
                "target_type": "Case",
                "target_id": case_id,
                "case_id": case_id,
                "data": {"kind": kind, "stage": stage, "demo": True},
            }
        )
        case = self.cases[-1]
        people = {
            "teacher": teacher,
            "cadre": cadre,
            "principal": places.admin_of[school["id"]] if school else None,
            "official": places.official_of[village["township_id"]],
            "reviewer": places.reviewer,
        }
        changes = history.stage_changes(rng, case, path, dates, people, ctx.now, asked)
        self.ladder.case(
            rng,
            places,
            case,
            self.children[-1],
            self.guardians[first_guardian:],
            path,
            dates,
            people,
            changes,
            asked,
            requester,
        )
        self.stage_changes.extend(changes)
        self.county_plans[-1].append(
            {
                "case": case,
                "path": path,
                "dates": dates,
                "people": people,
                "met": met,
                "reasons": reasons,
                "county_look": any(g.value in COUNTY_LOOK for g in groups),
                "assignee": slot_assignee,
            }
        )

    def _asked_for(self, age, disability):
        """The outcome a case waiting for review asked for."""
        rng = self.rng
        if disability is not None and rng.random() < 0.3:
            return rng.choice(("home_schooling", "special_school"))
        outcome = rng.choices([o for o, _ in PENDING_OUTCOMES], [w for _, w in PENDING_OUTCOMES])[0]
        if outcome == "vocational_school" and age < 14 or outcome == "aged_out" and age < 16:
            return "transferred_out"
        return outcome

    # --- when the case was last contacted -----------------------------------------------------

    def _interval(self, stage):
        return cadence.rule_for(Stage(stage), self.profile)[0]

    def _slot_contact(self, stage, slot):
        """The last contact that puts the case's next planned visit into ``slot`` of "my visits"."""
        days = self._interval(stage)
        rng, today = self.rng, self.today
        offset = {
            "overdue": days + rng.randint(1, 4),
            "today": days,
            "week": days - rng.randint(1, min(7, days)),
            "later": rng.randint(1, 22),
        }[slot]
        return today - timedelta(days=offset)

    def _last_contact(self, stage, path, dates):
        """The date of the case's latest done visit (None: not contacted yet). Open cases are
        mostly contacted on time by their cadence; some are overdue."""
        rng, today = self.rng, self.today
        if stage in ("closed", "pending_review"):
            # the last visit was a monitoring check (or a verification visit, or a ladder visit)
            index = max(i for i, s in enumerate(path) if s not in ("closed", "pending_review"))
            start, end = dates[index], dates[index + 1]
            if path[index] != "verification":
                end = max(start, end - timedelta(days=1))
            return max(start, end - timedelta(days=rng.randint(0, 6)))
        entered = dates[-1]
        if stage == "verification" and rng.random() < 0.25 or stage == "support" and rng.random() < 0.03:
            return None
        days = self._interval(stage)
        if (today - entered).days > days and rng.random() < OVERDUE_ODDS:
            late = rng.randint(1, 25 if days >= 30 else 14)
            return max(entered, today - timedelta(days=days + late))
        low = max(entered, today - timedelta(days=days))
        return low + timedelta(days=rng.randint(0, (today - low).days))

    def _reasons(self, kind, groups):
        rng = self.rng
        weights = dict(REASON_WEIGHTS)
        if SpecialGroup.POVERTY in groups:
            weights["poverty"] += 25
        if SpecialGroup.LEARNING_DIFFICULTY in groups:
            weights["learning_difficulty"] += 30
        if SpecialGroup.DISABLED in groups:
            weights["illness"] += 40
        if kind == "never_enrolled":
            weights["working_away"] = 0
            weights["early_marriage"] = 0
        count = rng.choice((1, 1, 2, 2, 3))
        picked = []
        keys = list(weights)
        while len(picked) < count:
            reason = rng.choices(keys, [weights[k] for k in keys])[0]
            if reason not in picked:
                picked.append(reason)
        return picked

    def _guardians(self, child_id, surname, groups):
        rng = self.rng
        left_behind = SpecialGroup.LEFT_BEHIND in groups
        rows = []
        if SpecialGroup.ORPHAN in groups or SpecialGroup.UNSUPPORTED in groups:
            rows.append(
                ("grandparent" if rng.random() < 0.7 else "relative", surname if rng.random() < 0.6 else None, False)
            )
        elif SpecialGroup.SINGLE_PARENT in groups:
            relation = rng.choice(("father", "mother"))
            rows.append((relation, surname if relation == "father" else None, left_behind))
            if left_behind:
                rows.append(("grandparent", surname, False))
        else:
            rows.append(("father", surname, left_behind))
            if left_behind:
                rows.append(("grandparent", surname, False))
            elif rng.random() < 0.6:
                rows.append(("mother", None, rng.random() < 0.2))
        met = []
        for position, (relation, family_name, away) in enumerate(rows[:2]):
            if relation == "grandparent":
                gender = rng.choice(("male", "female"))
            else:
                gender = (
                    "female"
                    if relation == "mother"
                    else rng.choice(("male", "female"))
                    if relation == "relative"
                    else "male"
                )
            words = names.RELATION_WORDS[relation]
            met.append((rng.choice(words[gender] if isinstance(words, dict) else words), away))
            self.guardians.append(
                {
                    "child_id": child_id,
                    "position": position,
                    "name": names.adult_name(rng, gender, family_name if gender == "male" else None),
                    "relation": relation,
                    "phone": names.mobile(rng),
                    "is_working_away": away,
                }
            )
        return met


def _demo_slots():
    """(slot, assignee line) for each of DEMO_MIX's cases: teacher1 and cadre1 each get one
    planned visit in every section of "my visits"; the rest alternate between them."""
    needs = {"teacher": list(DEMO_SLOTS), "cadre": list(DEMO_SLOTS)}
    slots = []
    turn = 0
    for _kind, stage in DEMO_MIX:
        if stage in ("pending_review", "closed"):
            slots.append((None, None))
            continue
        monthly = stage in ("verification", "support")
        person = max(needs, key=lambda p: (len(needs[p]), p == "teacher"))
        wanted = [
            s for s in needs[person] if (s == "later") == monthly or (monthly and stage == "support" and s != "overdue")
        ]
        if wanted:
            slot = "later" if "later" in wanted else wanted[0]
            needs[person].remove(slot)
            slots.append((slot, person))
        else:
            slots.append((None, ("teacher", "cadre")[turn % 2]))
            turn += 1
    assert not any(needs.values()), needs
    return slots


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)
