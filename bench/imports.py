"""Import benchmark at province scale: a generated 100,000-row roster (.xlsx) imported into the
province demo data by the background worker, and the register matching of a county's household
register.

    .venv/bin/python -m bench.imports [--rows 100000] [--reload]

Uses its own PostgreSQL database, ``CASEWORKS_BENCH_IMPORT_DATABASE_URL`` (default
``cw_import_bench``), loaded with ``seed-demo --scale province`` once (as ``bench.run`` does) and
reused while its schema matches the models. Each phase of the import runs as the scheduler
process would run it, in a process of its own (``--worker``), which reports its wall time and
peak memory (max RSS). Target (DESIGN.md): confirm → done under 60 s. A report is printed and
written to ``bench/results/imports-<UTC timestamp>.md``.
"""

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select

from bench.run import RESULTS, make_app, prepare
from caseworks.accounts.models import User
from caseworks.cases.models import Child
from caseworks.core import idnumber
from caseworks.core.choices import GRADES_TAUGHT, ImportStatus, SchoolKind
from caseworks.enrolment import imports, jobs, matching
from caseworks.enrolment.models import Enrolment, ImportBatch, ListEntry
from caseworks.enrolment.queries import current_school_year
from caseworks.extensions import db
from caseworks.places.models import Area, School

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/cw_import_bench"
TARGET_SECONDS = 60
#: the generated pupils' ID numbers start with this (no real region code does), so a later run
#: can take away what an earlier one added
REGION = "99"
ROOT = Path(__file__).resolve().parent.parent


def roster_xlsx(schools, villages, rows, school_year, existing=(), seed=20261202):
    """A county's roster of ``rows`` pupils, each row naming its school by code: the pupils
    already on the register (``existing``, as rows of the file), then new ones spread over
    ``schools``."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("学生名单")
    header = [
        "学校标识码",
        "姓名",
        "身份证号",
        "性别",
        "出生日期",
        "全国学籍号",
        "年级",
        "班级",
        "监护人",
        "联系电话",
        "户籍地",
    ]
    sheet.append(header)

    def text(value):
        cell = WriteOnlyCell(sheet, value=None)
        cell.value, cell.data_type = value, "s"
        return cell

    for row in existing:
        sheet.append([text(v) for v in row])
    cutoff = date(school_year, 8, 31)
    for n in range(rows - len(existing)):
        school = schools[n % len(schools)]
        grades = GRADES_TAUGHT[SchoolKind(school.kind)]
        grade = grades[(n // len(schools)) % len(grades)]
        birth = cutoff - timedelta(days=365 * (grade.number + 5) + rng.randrange(360))
        region = f"{REGION}{n // 300_000:04d}"
        number = _number(region, birth)
        village = villages[n % len(villages)]
        sheet.append(
            [
                text(school.code),
                text(f"学生{n:06d}"),
                text(number),
                text("男" if idnumber.gender_of(number) == "male" else "女"),
                text(birth.isoformat()),
                text("G" + number),
                text(grade.value),
                text(f"{n % 4 + 1}班"),
                text("家长"),
                text(f"139{n:08d}"),
                text(village),
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


_seen = {}


def _number(region, birth):
    """A valid ID number no other generated pupil has."""
    key = (region, birth)
    seq = _seen.get(key, 0) + 1
    _seen[key] = seq
    return idnumber.make(region, birth, seq)


def household_xlsx(children):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("户籍")
    sheet.append(["姓名", "身份证号", "出生日期", "户籍所在村"])
    for name, number, birth, place in children:
        sheet.append([name, number, birth.isoformat(), place])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run_worker(url):
    """One background run in a process of its own, as the scheduler process runs it."""
    env = dict(os.environ, CASEWORKS_DATABASE_URL=url)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bench.imports", "--worker"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["process_seconds"] = round(seconds, 1)
    return report


def worker_main():
    app = make_app(os.environ["CASEWORKS_DATABASE_URL"])
    with app.app_context():
        started = time.perf_counter()
        count = jobs.work_imports()
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"imports": count, "seconds": round(seconds, 1), "peak_mb": round(peak_mb)}))


def clean():
    """Take away what an earlier run added: its imports, the pupils and list entries they wrote,
    and the "left" marks its rosters put on the demo pupils."""
    batches = select(ImportBatch.id).where(ImportBatch.filename.like("bench-%"))
    bench_children = select(Child.id).where(Child.id_number.like(f"{REGION}%"))
    db.session.execute(
        Enrolment.__table__.update()
        .where(Enrolment.import_id.in_(batches), Enrolment.status == "left", Enrolment.child_id.not_in(bench_children))
        .values(status="enrolled", left_date=None, import_id=None)
    )
    db.session.execute(delete(Enrolment).where(Enrolment.child_id.in_(bench_children)))
    db.session.execute(delete(ListEntry).where(ListEntry.import_id.in_(batches)))
    db.session.execute(delete(Child).where(Child.id.in_(bench_children)))
    db.session.execute(delete(ImportBatch).where(ImportBatch.id.in_(batches)))
    db.session.commit()


def phase(url, batch_id, label, rows_out):
    report = run_worker(url)
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch_id)
    rows_out.append((label, report, dict(batch.counts), batch.status))
    print(f"  {label}: {report['seconds']} s in the worker, peak {report['peak_mb']} MB, {batch.status} {batch.counts}")
    return batch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--scale", default="province", help="demo data to import into (county: a quick trial)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main()
    url = os.environ.get("CASEWORKS_BENCH_IMPORT_DATABASE_URL", DEFAULT_URL)
    app, note = prepare(url, args.scale, args.reload)
    lines = []
    with app.app_context():
        reviewer = db.session.scalar(select(User).where(User.username == "reviewer1"))
        county = reviewer.area
        clean()
        year = current_school_year()
        schools = db.session.scalars(select(School).where(School.county_id == county.id).order_by(School.id)).all()
        towns = dict(db.session.execute(select(Area.id, Area.name).where(Area.level == "township")).all())
        villages = [
            towns[t] + v
            for t, v in db.session.execute(
                select(Area.township_id, Area.name).where(Area.county_id == county.id, Area.level == "village")
            ).all()
        ]
        found = db.session.execute(
            select(
                School.code,
                Child.name,
                Child.id_number,
                Child.gender,
                Child.birth_date,
                Enrolment.student_no,
                Enrolment.grade,
                Enrolment.class_name,
                Enrolment.guardian_name,
                Enrolment.guardian_phone,
                Enrolment.household_place,
            )
            .join(Enrolment, Enrolment.child_id == Child.id)
            .join(School, School.id == Enrolment.school_id)
            .where(School.county_id == county.id, Enrolment.school_year == year, Enrolment.status == "enrolled")
            .order_by(Enrolment.id)
        ).all()
        existing = [
            (r[0], r[1], r[2], "男" if r[3] == "male" else "女", r[4].isoformat(), r[5] or "", *r[6:]) for r in found
        ]
        print(f"generating a {args.rows:,}-row roster for {county.name} ({len(schools)} schools) ...", flush=True)
        started = time.perf_counter()
        content = roster_xlsx(schools, villages, args.rows, year, existing)
        generate_s = time.perf_counter() - started
        roster_mb = len(content) / 1e6
        print(f"  {len(content) / 1e6:.1f} MB in {generate_s:.1f} s")
        before = db.session.scalar(select(func.count()).select_from(Enrolment))

        results = []
        for attempt in ("first import", "same file again"):
            batch = imports.receive_file(
                "roster", f"bench-roster-{attempt}.xlsx", content, reviewer, area=county, school_year=year
            )
            batch.total_rows = imports.count_rows(batch)
            db.session.commit()
            print(f"{attempt}:")
            batch = phase(url, batch.id, f"{attempt}: check (preview)", results)
            imports.confirm_import(batch, reviewer, only_valid=True)
            db.session.commit()
            confirmed = time.perf_counter()
            batch = phase(url, batch.id, f"{attempt}: confirm → done", results)
            results[-1][1]["confirm_to_done"] = round(time.perf_counter() - confirmed, 1)
        after = db.session.scalar(select(func.count()).select_from(Enrolment))

        # the county's household register: its school-age children, and a few on no roster
        print("household register of the county:")
        rows = db.session.execute(
            select(Child.name, Child.id_number, Child.birth_date, Area.township_id, Area.name)
            .join(Area, Area.id == Child.household_village_id)
            .where(Area.county_id == county.id)
        ).all()
        listed = [(name, number, birth, towns[t] + v) for name, number, birth, t, v in rows]
        content = household_xlsx(listed)
        batch = imports.receive_file(
            "household", "bench-household.xlsx", content, reviewer, area=county, school_year=year
        )
        batch.total_rows = imports.count_rows(batch)
        db.session.commit()
        batch = phase(url, batch.id, "household register: check", results)
        imports.confirm_import(batch, reviewer, only_valid=True)
        db.session.commit()
        batch = phase(url, batch.id, "household register: confirm → done", results)
        started = time.perf_counter()
        result = matching.match(reviewer, year)
        match_s = time.perf_counter() - started
        print(f"  matching: {match_s:.2f} s, {len(result.suspected)} suspected, {len(result.recognised)} recognised")

    load = os.getloadavg()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines.append(f"# Import benchmark, {stamp}\n")
    loads = " ".join(f"{x:.2f}" for x in load)
    lines.append(f"`.venv/bin/python -m bench.imports --rows {args.rows}`; load average {loads}")
    lines.append(f"database {url.rsplit('/', 1)[-1]}: {note}")
    lines.append(
        f"roster file: {args.rows:,} rows ({len(existing):,} pupils already on the register, the others new) over "
        f"{len(schools)} schools of {county.name}, {roster_mb:.1f} MB, {generate_s:.1f} s to generate"
    )
    lines.append(f"enrolments before {before:,}, after {after:,}\n")
    lines.append("| phase | worker s | process s | confirm → done s | peak MB | status | counts |")
    lines.append("|---|---:|---:|---:|---:|---|---|")
    for label, report, counts, status in results:
        counts = {k: v for k, v in counts.items() if k != "left_withheld"}
        lines.append(
            f"| {label} | {report['seconds']} | {report['process_seconds']} | {report.get('confirm_to_done', '')} "
            f"| {report['peak_mb']} | {status} | {counts} |"
        )
    lines.append(
        f"\nmatching of the county's household register ({len(listed):,} children): {match_s:.2f} s, "
        f"{len(result.suspected)} suspected, {len(result.recognised)} recognised (with an open case)"
    )
    first_apply = results[1][1]["confirm_to_done"]
    verdict = "met" if first_apply < TARGET_SECONDS else "NOT met"
    lines.append(f"\ntarget: confirm → done under {TARGET_SECONDS} s: {verdict} ({first_apply} s)")
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"imports-{stamp}.md").write_text(report + "\n")
    return (
        0 if first_apply < TARGET_SECONDS and all(r[3] == ImportStatus.DONE for r in results if "done" in r[0]) else 1
    )


if __name__ == "__main__":
    sys.exit(main())
