"""Comparing checked rows with the register and writing them: new pupils and children, changed
ones, pupils gone from a roster marked left, list entries replaced. Used by the import's check
(comparing only) and by the import itself."""

from sqlalchemy import insert, select, update

from caseworks.cases.models import Child, ChildGroup
from caseworks.core import clock, idnumber
from caseworks.core.bulk import BulkWriter
from caseworks.core.choices import EnrolmentStatus, Grade, ImportKind, SpecialGroup
from caseworks.enrolment.models import Enrolment, ListEntry
from caseworks.extensions import db
from caseworks.places.models import Area, School

#: rows worked through between two looks at the database (and two progress reports)
CHUNK = 5000
#: changed and invalid rows kept for the preview page (the error file has all of them)
PREVIEW_ROWS = 200
#: the fields of a roster row compared with the register; a difference makes the row "changed"
ROSTER_FIELDS = (
    "name",
    "school_id",
    "grade",
    "class_name",
    "student_no",
    "village_id",
    "household_place",
    "guardian_name",
    "guardian_phone",
    "status",
)
LIST_FIELDS = ("name", "village_id", "note")


class Writer:
    """Compares checked rows with what the register holds and, when writing, writes them."""

    def __init__(self, batch, write):
        self.batch = batch
        self.write = write
        self.kind = ImportKind(batch.kind)
        self.now = clock.now()
        self.today = clock.today()
        self._school_names = {}
        self._village_names = {}
        #: the schools the file's rows are for (a multi-school roster marks only their pupils left)
        self.seen_schools = set()
        self.bulk = BulkWriter(db.session) if write and db.session.get_bind().dialect.name == "postgresql" else None

    # rows of the file ------------------------------------------------------------------------

    def rows(self, rows, outcome):
        if not rows:
            return
        numbers = [r.values["id_number"] for r in rows]
        children = {
            c.id_number: c
            for c in db.session.execute(
                select(Child.id, Child.id_number, Child.name, Child.household_village_id).where(
                    _one_of(Child.id_number, numbers)
                )
            )
        }
        if self.kind == ImportKind.ROSTER:
            self._roster_rows(rows, children, outcome)
        else:
            self._list_rows(rows, children, outcome)

    def _new_children(self, rows, children):
        """Insert the children not registered yet; their ids by ID number."""
        fresh = [r for r in rows if r.values["id_number"] not in children]
        if not fresh or not self.write:
            return {}
        values = [
            {
                "id": None,
                "name": r.values["name"],
                "gender": idnumber.gender_of(r.values["id_number"]),
                "birth_date": idnumber.birth_date_of(r.values["id_number"]),
                "id_number": r.values["id_number"],
                "student_no": r.values.get("student_no"),
                "household_village_id": r.values.get("village_id"),
                "address": r.values.get("address") or "",
                "disability_type": None,
                "created_dt": self.now,
            }
            for r in fresh
        ]
        if self.bulk is not None:
            # COPY with ids drawn from the sequence: several times faster than INSERT ... RETURNING
            for row, child_id in zip(values, self.bulk.take_ids(Child, len(values)), strict=True):
                row["id"] = child_id
            self.bulk.write(Child, values)
            return {row["id_number"]: row["id"] for row in values}
        for row in values:
            del row["id"]
        made = db.session.execute(
            insert(Child).returning(Child.id, Child.id_number, sort_by_parameter_order=True), values
        ).all()
        return {number: child_id for child_id, number in made}

    def _roster_rows(self, rows, children, outcome):
        year = self.batch.school_year
        child_ids = [c.id for c in children.values()]
        enrolments = {}
        if child_ids:
            # plain rows, not ORM objects: a county's roster has 100,000 of them
            columns_ = [getattr(Enrolment, k) for k in ROSTER_FIELDS if k != "name"]
            for e in db.session.execute(
                select(Enrolment.id, Enrolment.child_id, *columns_).where(
                    Enrolment.school_year == year, _one_of(Enrolment.child_id, child_ids)
                )
            ):
                enrolments[e.child_id] = e
        new_ids = self._new_children(rows, children)
        inserts, updates, renames = [], [], []
        for row in rows:
            v = row.values
            self.seen_schools.add(v["school"].id)
            wanted = {
                "name": v["name"],
                "school_id": v["school"].id,
                "grade": v["grade"],
                "class_name": v.get("class_name") or "",
                "student_no": v.get("student_no"),
                "village_id": v.get("village_id"),
                "household_place": v.get("household_place") or "",
                "guardian_name": v.get("guardian_name") or "",
                "guardian_phone": v.get("guardian_phone") or "",
                "status": EnrolmentStatus.ENROLLED.value,
            }
            child = children.get(v["id_number"])
            enrolment = enrolments.get(child.id) if child else None
            if enrolment is None:
                outcome.counts["new"] += 1
                if self.write:
                    child_id = child.id if child else new_ids[v["id_number"]]
                    inserts.append(
                        {
                            "child_id": child_id,
                            "school_year": year,
                            **{k: wanted[k] for k in ROSTER_FIELDS if k != "name"},
                            "left_date": None,
                            "import_id": self.batch.id,
                            "created_dt": self.now,
                            "updated_dt": None,
                        }
                    )
                if child is not None and child.name != v["name"] and self.write:
                    renames.append({"id": child.id, "name": v["name"]})
                continue
            have = {k: getattr(enrolment, k) for k in ROSTER_FIELDS if k != "name"}
            have["name"] = child.name
            diff = {k: (have[k], wanted[k]) for k in ROSTER_FIELDS if (have[k] or None) != (wanted[k] or None)}
            if not diff:
                outcome.counts["unchanged"] += 1
                continue
            outcome.counts["changed"] += 1
            if len(outcome.changed) < PREVIEW_ROWS:
                outcome.changed.append(self._change_summary(row, diff))
            if self.write:
                if "name" in diff:
                    renames.append({"id": child.id, "name": v["name"]})
                changed = {k: wanted[k] for k in diff if k != "name"}
                if changed:
                    updates.append(
                        {
                            "id": enrolment.id,
                            **changed,
                            "left_date": None,
                            "import_id": self.batch.id,
                            "updated_dt": self.now,
                        }
                    )
        if self.write:
            if inserts:
                self._insert(Enrolment, inserts)
            for group in _same_keys(updates):
                db.session.execute(update(Enrolment), group)
            if renames:
                db.session.execute(update(Child), renames)

    def _list_rows(self, rows, children, outcome):
        year, kind = self.batch.school_year, self.kind
        child_ids = [c.id for c in children.values()]
        entries = {}
        if child_ids:
            for e in db.session.execute(
                select(ListEntry.id, ListEntry.child_id, ListEntry.village_id, ListEntry.note, ListEntry.area_id).where(
                    ListEntry.kind == kind, ListEntry.school_year == year, _one_of(ListEntry.child_id, child_ids)
                )
            ):
                entries[e.child_id] = e
        grouped = set()
        if kind == ImportKind.POVERTY and child_ids:
            grouped = set(
                db.session.scalars(
                    select(ChildGroup.child_id).where(
                        _one_of(ChildGroup.child_id, child_ids), ChildGroup.group == SpecialGroup.POVERTY
                    )
                )
            )
        new_ids = self._new_children(rows, children)
        inserts, updates, groups, places = [], [], [], []
        for row in rows:
            v = row.values
            child = children.get(v["id_number"])
            child_id = child.id if child else new_ids.get(v["id_number"])
            wanted = {"name": v["name"], "village_id": v.get("village_id"), "note": v.get("note") or ""}
            entry = entries.get(child.id) if child else None
            needs_group = kind == ImportKind.POVERTY and (child is None or child.id not in grouped)
            if child is not None and child.household_village_id is None and v.get("village_id") and self.write:
                places.append({"id": child.id, "household_village_id": v["village_id"]})
            if needs_group and self.write:
                groups.append({"child_id": child_id, "group": SpecialGroup.POVERTY.value})
            if entry is None:
                outcome.counts["new"] += 1
                if self.write:
                    inserts.append(
                        {
                            "kind": kind.value,
                            "school_year": year,
                            "child_id": child_id,
                            "area_id": self.batch.area_id,
                            "village_id": wanted["village_id"],
                            "note": wanted["note"],
                            "import_id": self.batch.id,
                            "created_dt": self.now,
                        }
                    )
                continue
            have = {"name": child.name, "village_id": entry.village_id, "note": entry.note}
            diff = {k: (have[k], wanted[k]) for k in LIST_FIELDS if (have[k] or None) != (wanted[k] or None)}
            if entry.area_id != self.batch.area_id:
                diff["area_id"] = (entry.area_id, self.batch.area_id)
            if needs_group:
                diff["group"] = ("", SpecialGroup.POVERTY.value)
            if not diff:
                outcome.counts["unchanged"] += 1
                continue
            outcome.counts["changed"] += 1
            if len(outcome.changed) < PREVIEW_ROWS:
                outcome.changed.append(self._change_summary(row, diff))
            if self.write:
                updates.append(
                    {
                        "id": entry.id,
                        "village_id": wanted["village_id"],
                        "note": wanted["note"],
                        "area_id": self.batch.area_id,
                        "import_id": self.batch.id,
                    }
                )
        if self.write:
            if inserts:
                self._insert(ListEntry, inserts)
            if updates:
                db.session.execute(update(ListEntry), updates)
            if groups:
                db.session.execute(insert(ChildGroup), groups)
            if places:
                db.session.execute(update(Child), places)

    def _insert(self, model, rows):
        if self.bulk is not None:
            self.bulk.write(model, rows)
        else:
            db.session.execute(insert(model), rows)

    # what the file no longer holds -----------------------------------------------------------

    def gone(self, seen_ids, outcome, *, withhold=False):
        """Pupils of the roster's schools (this school year) missing from the file are marked
        left; a list's entries within the importer's area missing from it are removed. When some
        rows' ID numbers could not be read (``withhold``) nobody is: they may be those rows."""
        if self.kind == ImportKind.ROSTER:
            schools = [self.batch.school_id] if self.batch.school_id else sorted(self.seen_schools)
            if not schools:
                return
            rows = db.session.execute(
                select(Enrolment.id, Child.id_number)
                .join(Child, Child.id == Enrolment.child_id)
                .where(
                    Enrolment.school_id.in_(schools),
                    Enrolment.school_year == self.batch.school_year,
                    Enrolment.status == EnrolmentStatus.ENROLLED,
                )
            ).all()
            gone = [eid for eid, number in rows if number not in seen_ids]
            if withhold:
                outcome.left_withheld = bool(gone)
                return
            outcome.counts["left"] += len(gone)
            if self.write:
                for start in range(0, len(gone), CHUNK):
                    db.session.execute(
                        update(Enrolment),
                        [
                            {
                                "id": eid,
                                "status": EnrolmentStatus.LEFT.value,
                                "left_date": self.today,
                                "import_id": self.batch.id,
                                "updated_dt": self.now,
                            }
                            for eid in gone[start : start + CHUNK]
                        ],
                    )
            return
        rows = db.session.execute(
            select(ListEntry.id, Child.id_number)
            .join(Child, Child.id == ListEntry.child_id)
            .where(
                ListEntry.kind == self.kind,
                ListEntry.school_year == self.batch.school_year,
                ListEntry.area_id == self.batch.area_id,
            )
        ).all()
        gone = [eid for eid, number in rows if number not in seen_ids]
        if withhold:
            outcome.left_withheld = bool(gone)
            return
        outcome.counts["left"] += len(gone)
        if self.write and gone:
            for start in range(0, len(gone), CHUNK):
                db.session.execute(ListEntry.__table__.delete().where(ListEntry.id.in_(gone[start : start + CHUNK])))

    # the preview's words ---------------------------------------------------------------------

    def _change_summary(self, row, diff):
        return {
            "line": row.line,
            "name": row.values["name"],
            "id_number": idnumber.mask(row.values["id_number"]),
            "changes": {k: [self._shown(k, a), self._shown(k, b)] for k, (a, b) in diff.items()},
        }

    def _shown(self, key, value):
        if value in (None, ""):
            return ""
        if key == "school_id":
            if value not in self._school_names:
                self._school_names[value] = db.session.scalar(select(School.name).where(School.id == value))
            return self._school_names[value]
        if key in ("village_id", "area_id"):
            if value not in self._village_names:
                self._village_names[value] = db.session.scalar(select(Area.name).where(Area.id == value))
            return self._village_names[value]
        if key == "grade":
            return str(Grade.label_of(value))
        if key == "status":
            return str(EnrolmentStatus.label_of(value))
        if key == "group":
            return str(SpecialGroup.label_of(value))
        return str(value)


def _one_of(column, values):
    """``column IN (values)``; on PostgreSQL ``= ANY(array)``, one parameter however many values
    (5,000 separate parameters cost more to send than the query takes)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import any_, literal
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(values)


def _same_keys(rows):
    groups = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


def _one_of(column, values):
    """``column IN (values)``; on PostgreSQL ``= ANY(array)``, one parameter however many values
    (5,000 separate parameters cost more to send than the query takes)."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import any_, literal
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(literal(list(values), ARRAY(column.type)))
    return column.in_(values)


def _same_keys(rows):
    groups = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())
