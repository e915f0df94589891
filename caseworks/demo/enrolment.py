"""The demo enrolment register: every school's pupils for the current school year (the case
children at their school among them), so that the register is the denominator of the rates; and,
in the demo county's first township (township1's), a household register of school-age children
with a few children on no roster and two pupils gone from the demo school's roster, for the
matching to find.

Drawn from a random generator of its own, so the rest of the demo data stays as it was."""

import random
from datetime import date, timedelta

from caseworks.core import idnumber
from caseworks.core.choices import GRADES_TAUGHT, SchoolKind
from caseworks.core.policy import defaults as default_profile
from caseworks.core.terms import school_year_of
from caseworks.demo import names

#: pupils drawn per school besides the case children (bounded: a province has 3,200 schools)
PUPILS_PER_SCHOOL = 40
#: the demo school gets classes a teacher can take attendance of
DEMO_SCHOOL_PER_GRADE = 18
#: children in township1's household register on no roster, and too old to be of school age
DEMO_UNENROLLED, DEMO_TOO_OLD = 6, 2
#: pupils gone from the demo school's roster
DEMO_LEFT = 2


class EnrolmentBuilder:
    def __init__(self, ctx, seed, used_ids):
        self.ctx = ctx
        self.rng = random.Random(f"{seed}-enrolment")
        self.today = ctx.today
        self.school_year = school_year_of(ctx.today)
        self.cutoff = default_profile().cutoff_date(self.school_year)
        self.used_ids = used_ids
        self.children, self.enrolments, self.list_entries = [], [], []

    def county(self, places, case_rows, child_rows):
        """The register of one county's schools; the household list too in the demo county."""
        children_by_id = {c["id"]: c for c in child_rows}
        villages = {v["id"]: v for v in places.villages}
        towns = {t["id"]: t for t in places.townships}
        enrolled = []
        schools = {s["id"]: s for s in places.schools}
        for case in case_rows:
            if case["school_id"] is None or case["kind"] == "never_enrolled":
                continue
            school = schools[case["school_id"]]
            grade = self._taught(school, case["grade"])
            child = children_by_id[case["child_id"]]
            class_name = case["class_name"] if case["class_name"] in ("1班", "2班") else f"{self.rng.randint(1, 2)}班"
            enrolled.append(self._enrolment(child, school, grade, class_name, villages, towns))
        demo_school = places.demo.get("school")
        for school in places.schools:
            grades = GRADES_TAUGHT[SchoolKind(school["kind"])]
            if school is demo_school:
                counts = [(g, DEMO_SCHOOL_PER_GRADE) for g in grades]
            else:
                counts = [(grades[i % len(grades)], 1) for i in range(PUPILS_PER_SCHOOL)]
            for grade, count in counts:
                for _ in range(count):
                    child = self._child(places, school, grade.number, villages)
                    enrolled.append(
                        self._enrolment(child, school, grade.value, f"{self.rng.randint(1, 2)}班", villages, towns)
                    )
        if places.demo:
            self._demo_matching(places, enrolled, villages, child_rows)

    # ------------------------------------------------------------------------------------------

    def _taught(self, school, grade):
        taught = GRADES_TAUGHT[SchoolKind(school["kind"])]
        if grade in taught:
            return grade
        numbers = [g.number for g in taught]
        wanted = names.GRADES.index(grade) + 1 if grade in names.GRADES else numbers[0]
        return min(taught, key=lambda g: abs(g.number - wanted)).value

    def _birth(self, age):
        latest = _years_before(self.cutoff, age)
        earliest = _years_before(self.cutoff, age + 1) + timedelta(days=1)
        return earliest + timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    def _child(self, places, school, grade_no, villages, *, age=None, village=None):
        rng = self.rng
        gender = rng.choice(("male", "female"))
        birth = self._birth(age if age is not None else grade_no + 5)
        region = places.county["code"][:6]
        while True:
            number = idnumber.make(region, birth, rng.randrange(1, 500) * 2 + (1 if gender == "male" else 0))
            if number not in self.used_ids:
                self.used_ids.add(number)
                break
        if village is None:
            town_villages = places.villages_of[school["township_id"]]
            village = rng.choice(town_villages if rng.random() < 0.9 else places.villages)
        child = {
            "id": self.ctx.take_id("child"),
            "name": names.child_name(rng, gender),
            "gender": gender,
            "birth_date": birth,
            "id_number": number,
            "student_no": "G" + number if school else None,
            "household_village_id": village["id"],
            "address": names.address(rng, village["name"]),
            "disability_type": None,
            "created_dt": self.ctx.now,
        }
        self.children.append(child)
        return child

    def _enrolment(self, child, school, grade, class_name, villages, towns):
        village = villages.get(child["household_village_id"])
        place = f"{towns[village['township_id']]['name']}{village['name']}" if village else ""
        row = {
            "child_id": child["id"],
            "school_id": school["id"],
            "school_year": self.school_year,
            "grade": grade,
            "class_name": class_name,
            "student_no": child["student_no"],
            "village_id": village["id"] if village else None,
            "household_place": place,
            "guardian_name": names.adult_name(self.rng, self.rng.choice(("male", "female")), child["name"][0]),
            "guardian_phone": names.mobile(self.rng),
            "status": "enrolled",
            "left_date": None,
            "import_id": None,
            "created_dt": self.ctx.now,
            "updated_dt": None,
        }
        self.enrolments.append(row)
        return row, child

    def _demo_matching(self, places, enrolled, villages, case_children):
        """township1's household register: its children on the rosters and those with a case, a
        few on none, two too old; and two pupils of the demo school gone from its roster."""
        township = places.townships[0]
        demo_school = places.demo["school"]
        gone = [e for e, _c in enrolled if e["school_id"] == demo_school["id"]][-DEMO_LEFT:]
        for row in gone:
            row["status"], row["left_date"] = "left", self.today - timedelta(days=10)
        on_roll = {c["id"] for _e, c in enrolled}
        candidates = [c for _e, c in enrolled] + [c for c in case_children if c["id"] not in on_roll]
        listed = [c for c in candidates if villages[c["household_village_id"]]["township_id"] == township["id"]]
        town_villages = places.villages_of[township["id"]]
        for n in range(DEMO_UNENROLLED + DEMO_TOO_OLD):
            age = self.rng.randint(8, 14) if n < DEMO_UNENROLLED else 17
            village = town_villages[2] if n < 2 else self.rng.choice(town_villages)
            listed.append(self._child(places, None, 0, villages, age=age, village=village))
        for child in listed:
            self.list_entries.append(
                {
                    "kind": "household",
                    "school_year": self.school_year,
                    "child_id": child["id"],
                    "area_id": township["id"],
                    "village_id": child["household_village_id"],
                    "note": "",
                    "import_id": None,
                    "created_dt": self.ctx.now,
                }
            )


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


assert _years_before(date(2024, 2, 29), 1) == date(2023, 2, 28)
