"""Importing a file into the enrolment register or a matching list: receive it, match its
columns, check every row (the preview), and, once the user confirms, write the valid rows in one
transaction. Each function checks its rule, changes the objects, flushes, writes the audit entry
and never commits; large files are checked and written by the scheduler process
(:mod:`caseworks.enrolment.jobs`) through the same functions."""

import hashlib
import io
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from caseworks.core import audit, clock
from caseworks.core.choices import ImportKind, ImportStatus
from caseworks.core.errors import Refused
from caseworks.core.export import ExportBook
from caseworks.enrolment import columns
from caseworks.enrolment.checking import Checker, Places, reason_text, schools_for_batch
from caseworks.enrolment.models import ImportBatch
from caseworks.enrolment.reading import UnreadableFile, clean_text, is_blank, read_sheet
from caseworks.enrolment.writer import CHUNK, PREVIEW_ROWS, Writer
from caseworks.extensions import db
from caseworks.places.models import Area

#: the error file's last column, in each language: a file that has it is a corrected error file
REASON_HEADERS = {"错误原因", "whytherowisrefused"}


class ImportError_(Refused):
    """A rule of imports refused the step."""


def background_rows():
    """Files with more rows than this are checked and imported by the scheduler process."""
    return current_app.config["IMPORT_BACKGROUND_ROWS"]


# -- receiving a file ----------------------------------------------------------------------


def receive_file(kind, filename, content, user, *, school=None, area=None, school_year, partial=False):
    """Keep an uploaded file as an import waiting to be checked. A roster is for one school the
    user owns, or (for a township or county) for their schools, each row naming its own.
    ``user`` None is the import command, run on the server by the county's IT staff."""
    from caseworks.core import permissions

    kind = ImportKind(kind)
    if len(content or b"") > current_app.config["IMPORT_MAX_BYTES"]:
        raise ImportError_(_l("The file is too large: split it by school."), "file")
    if (
        user is not None
        and not permissions.may_import_list(user, kind)
        or user is not None
        and (kind == ImportKind.ROSTER and not permissions.may_import_roster(user, school.id if school else None))
    ):
        raise ImportError_(_l("You may not import this file."))
    if not content:
        raise ImportError_(_l("The file is empty."), "file")
    if kind != ImportKind.ROSTER:
        school = None
    batch = ImportBatch(
        kind=kind,
        status=ImportStatus.WAITING_CHECK,
        user_id=user.id if user is not None else None,
        school_id=school.id if school else None,
        area_id=area.id if area is not None else None,
        school_year=school_year,
        is_partial=bool(partial),
        filename=(filename or "file")[-200:],
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        content=content,
        created_dt=clock.now(),
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def importer_area(user):
    """The area whose lists a user imports: a township official's township, a county reviewer's
    county (or city, province); None for school staff."""
    from caseworks.core.choices import Role

    if user.role in (Role.TOWNSHIP_OFFICIAL, Role.COUNTY_REVIEWER):
        return user.area
    return None


def count_rows(batch):
    """How many rows the file has (the header included): decides whether it is checked and
    imported in the request or in the background."""
    from caseworks.enrolment.reading import EXCEL_SUFFIXES, decode_text

    if batch.filename.lower().endswith(EXCEL_SUFFIXES):
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            return CalamineWorkbook.from_filelike(io.BytesIO(batch.content)).get_sheet_by_index(0).height
        except (CalamineError, ValueError, IndexError, OSError):
            raise UnreadableFile(_l("This file cannot be read as a spreadsheet; save it again as .xlsx.")) from None
    if not batch.filename.lower().endswith((".csv", ".txt")):
        raise UnreadableFile(_l("Choose an .xlsx, .xls or .csv file."))
    return decode_text(batch.content).count("\n") + 1


def restart_import(batch, *, stalled):
    """Start again an import that failed, or whose background run was killed (``stalled``):
    nothing of it was written, so it goes back to waiting to be checked or imported."""
    if batch.status != ImportStatus.FAILED and not stalled:
        raise ImportError_(_l("This import is not stopped."))
    batch.status = ImportStatus.WAITING if batch.confirmed_dt else ImportStatus.WAITING_CHECK
    batch.error = None
    db.session.flush()


# -- checking: the preview --------------------------------------------------------------------


@dataclass
class Outcome:
    """What checking (or importing) a file found."""

    counts: Counter = field(default_factory=Counter)
    changed: list = field(default_factory=list)
    invalid: list = field(default_factory=list)
    #: pupils missing from the file were not marked left (some rows' ID numbers were unreadable)
    left_withheld: bool = False


def _rows_of(batch):
    """The header and the data rows of the batch's file (blank rows dropped)."""
    rows = read_sheet(batch.filename, batch.content)
    if not rows:
        raise ImportError_(_l("The file has no rows."))
    header_at = columns.find_header(rows, batch.kind)
    headers = [clean_text(h) for h in rows[header_at][1]]
    data = [(line, cells) for line, cells in rows[header_at + 1 :] if not is_blank(cells)]
    return headers, data


def _checker(batch, headers):
    school = batch.school
    schools = schools_for_batch(batch.user, batch.school_id) if batch.kind == ImportKind.ROSTER else []
    area = batch.area
    places = Places(schools, area_path=area.path if area is not None and batch.kind != ImportKind.ROSTER else None)
    if area is not None and not places.county_ids:
        places.county_ids = _counties_in(area)
    return Checker(batch.kind, batch.mapping, headers, places, school=school)


def _counties_in(area):
    if area.county_id is not None:
        return {area.county_id}
    return set(db.session.scalars(select(Area.id).where(Area.level == "county", Area.path.startswith(area.path))))


def check_import(batch, *, progress=None):
    """Read and check every row of the file without writing to the register; keep the counts and a
    sample of the changed and invalid rows for the preview. A required column that is not
    recognised stops at the column-matching step."""
    return _run(batch, write=False, progress=progress)


def invalid_rows(batch):
    """Every invalid row of the file (:class:`caseworks.enrolment.checking.Row`), in file order."""
    rows = []
    _run(batch, write=False, progress=None, keep_invalid=rows)
    return rows


def set_mapping(batch, mapping):
    """The user matched the file's columns by hand: check the file again with their choice."""
    if batch.status not in (ImportStatus.NEEDS_MAPPING, ImportStatus.READY):
        raise ImportError_(_l("This import has gone past matching its columns."))
    batch.mapping = {k: int(v) for k, v in mapping.items() if v is not None and int(v) >= 0}
    batch.status = ImportStatus.WAITING_CHECK
    db.session.flush()


def confirm_import(batch, user, *, only_valid):
    """The user confirms: nothing was written before. A file with invalid rows goes in only when
    the user chose to import only the valid rows."""
    if batch.status != ImportStatus.READY:
        raise ImportError_(_l("This import is not waiting for confirmation."))
    if user is not None and batch.user_id != user.id:
        raise ImportError_(_l("Only the person who uploaded the file confirms it."))
    counts = batch.counts or {}
    if counts.get("invalid") and not only_valid:
        raise ImportError_(
            _l(
                "%(count)s rows are invalid: correct them (download the error file) and import again, or import "
                "only the valid rows.",
                count=counts["invalid"],
            )
        )
    batch.only_valid = bool(only_valid)
    batch.confirmed_dt = clock.now()
    batch.status = ImportStatus.WAITING
    db.session.flush()


def apply_import(batch, *, progress=None):
    """Write the confirmed file into the register, in the caller's one transaction: new pupils
    and children added, changed ones updated, pupils gone from their school's roster marked left
    (never deleted); for lists, the entries replaced within the importer's area and the poverty
    list's children given their special group. The file is checked again as it is written, so
    what goes in is what the register holds now. Audited with the file's name, hash and counts."""
    outcome = _run(batch, write=True, progress=progress)
    batch.status = ImportStatus.DONE
    batch.finished_dt = clock.now()
    db.session.flush()
    audit.record(
        "import",
        f"{batch.kind} imported: {batch.filename}",
        module="enrolment",
        actor=batch.user,
        target=batch,
        data={
            "filename": batch.filename,
            "sha256": batch.sha256,
            "school_id": batch.school_id,
            "area_id": batch.area_id,
            "school_year": batch.school_year,
            "only_valid": batch.only_valid,
            "counts": dict(batch.counts),
        },
    )
    return outcome


def _run(batch, *, write, progress, keep_invalid=None):
    headers, data = _rows_of(batch)
    batch.headers = headers
    batch.total_rows = len(data)
    if any(columns.normalise_header(h) in REASON_HEADERS for h in headers):
        batch.is_partial = True  # a corrected error file holds only the rows that were refused
    if not batch.mapping:
        batch.mapping = columns.recognise(headers, batch.kind)
    missing = columns.missing_required(batch.mapping, batch.kind, school_chosen=batch.school_id is not None)
    if missing:
        if write:
            raise ImportError_(_l("Some required columns are not matched."))
        batch.status = ImportStatus.NEEDS_MAPPING
        db.session.flush()
        return Outcome()
    checker = _checker(batch, headers)
    writer = Writer(batch, write)
    outcome = Outcome()

    # the same ID number twice in one file: every such row is refused, naming the others
    lines_of = {}
    for line, cells in data:
        number = checker.raw_id(cells)
        if number:
            lines_of.setdefault(number, []).append(line)
    unreadable_ids = False
    seen_ids = set()
    for start in range(0, len(data), CHUNK):
        chunk = []
        for line, cells in data[start : start + CHUNK]:
            row = checker.check(line, cells)
            number = row.values.get("id_number")
            raw = checker.raw_id(cells)
            if raw and len(lines_of.get(raw, ())) > 1:
                others = [str(n) for n in lines_of[raw] if n != line]
                row.refuse("id_duplicate", lines=", ".join(others))
            if number:
                seen_ids.add(number)
            else:
                unreadable_ids = True
            if row.is_valid:
                chunk.append(row)
            else:
                outcome.counts["invalid"] += 1
                if keep_invalid is not None:
                    keep_invalid.append(row)
                if len(outcome.invalid) < PREVIEW_ROWS:
                    outcome.invalid.append(_invalid_summary(row))
        writer.rows(chunk, outcome)
        if progress is not None:
            progress(min(start + CHUNK, len(data)))
    if not batch.is_partial:
        writer.gone(seen_ids, outcome, withhold=unreadable_ids)
    for key in ("new", "changed", "unchanged", "invalid", "left"):
        outcome.counts.setdefault(key, 0)
    if keep_invalid is not None:
        return outcome
    batch.counts = dict(outcome.counts, left_withheld=outcome.left_withheld)
    if not write:
        batch.preview = {"changed": outcome.changed, "invalid": outcome.invalid}
        batch.status = ImportStatus.READY
    db.session.flush()
    return outcome


def _invalid_summary(row):
    return {
        "line": row.line,
        "name": row.values.get("name", ""),
        "reasons": [[code, params] for code, params in row.reasons],
    }


def reasons_of(summary):
    """The reasons of an invalid row of the preview, as text."""
    return [reason_text(code, params) for code, params in summary["reasons"]]


# -- the error file ---------------------------------------------------------------------------


def error_workbook(batch, user):
    """The invalid rows of the file as an .xlsx, each with its reasons in a last column, ready to
    correct and import again; every cell written as inert text. Its download is audited."""
    invalid = []
    headers, _data = _rows_of(batch)
    _run(batch, write=False, progress=None, keep_invalid=invalid)
    reason_header = str(_l("Why the row is refused"))
    rows = [
        [clean_text(c) for c in row.cells] + ["；".join(reason_text(code, params) for code, params in row.reasons)]
        for row in invalid
    ]
    width = max([len(headers)] + [len(r) - 1 for r in rows])
    padded_headers = headers + [""] * (width - len(headers))
    rows = [r[:-1] + [""] * (width - len(r) + 1) + [r[-1]] for r in rows]
    audit.record(
        "export",
        f"invalid rows of {batch.filename} downloaded",
        module="enrolment",
        actor=user,
        target=batch,
        data={"rows": len(rows), "sha256": batch.sha256},
    )
    book = ExportBook()
    sheet = book.sheet(str(_l("Invalid rows")), frozen_rows=1)
    sheet.heading(padded_headers + [reason_header])
    for row in rows:
        sheet.row(row)
    return book.to_bytes()
