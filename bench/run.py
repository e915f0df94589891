"""Page benchmark at province scale, with the raw SQL behind each page beside it.

    .venv/bin/python -m bench.run [--requests N] [--reload] [--skip-county] [--skip-sweep]

Loads the province demo data once into its own PostgreSQL database (reused on later runs),
then requests each page of ``TARGETS`` through Flask's test client as the users listed for it:
N timed requests after warm-ups, the SQL statements per request, and the median time of the
same statements replayed straight on a DBAPI connection. A county-scale database shows that
the number of statements per page does not grow with the data. Last, one full scheduler sweep
(``flask --app wsgi scheduler --once``) over the province database, twice: the second one finds
nothing left to do. See bench/README.md.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, delete, event, func, inspect, make_url, or_, select, text

from caseworks import create_app
from caseworks.accounts.models import User
from caseworks.cases.models import Case, Child
from caseworks.core.choices import Stage
from caseworks.demo import generator
from caseworks.demo.visits import VISITS_PER_CASE
from caseworks.extensions import db
from caseworks.visits.models import Visit
from config import Config

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/caseworks_bench"
RESULTS = Path(__file__).resolve().parent / "results"
WARMUP = 5


# --- what is measured ---------------------------------------------------------------------------


@dataclass
class Facts:
    """Ids and values the targets' URLs need, looked up once per database."""

    township_id: int
    case_id: int
    name_query: str
    extra: dict = field(default_factory=dict)


@dataclass
class Target:
    """One thing to time, done as each of ``users``. ``path`` is a URL or a function of the
    facts. Later targets (visits page, review queue, a scheduler sweep) join ``TARGETS``; one
    that is not a GET request subclasses and overrides :meth:`call`."""

    name: str
    path: object
    users: tuple = ("township1", "reviewer1", "principal1")

    def url(self, facts):
        return self.path(facts) if callable(self.path) else self.path

    def call(self, client, facts):
        """Do it once; return the HTTP status."""
        return client.get(self.url(facts)).status_code

    def shown_url(self, client, facts):
        return self.url(facts)

    def finish(self, app):
        """After the measurements: undo what the calls wrote that the next run would trip on."""


def _own_case_id(username):
    """An open case assigned to the user (the phone app's requests are about one's own cases)."""
    user = db.session.scalar(select(User).where(User.username == username))
    return db.session.scalar(
        select(Case.id)
        .where(or_(Case.teacher_id == user.id, Case.cadre_id == user.id), Case.stage != Stage.CLOSED)
        .order_by(Case.id)
        .limit(1)
    )


@dataclass
class ApiTarget(Target):
    """A JSON API call with the user's bearer token (issued once per client, as
    ``flask --app wsgi users token`` would). ``path`` may be a function of the facts and the
    user's own case id."""

    def _prepare(self, client):
        if not hasattr(client, "bench_token"):
            from caseworks.accounts.operations import issue_token

            with client.application.app_context():
                user = db.session.scalar(select(User).where(User.username == client.bench_user))
                client.bench_token = issue_token(user)
                client.bench_case_id = _own_case_id(client.bench_user)
                db.session.commit()
        return {"Authorization": f"Bearer {client.bench_token}"}

    def url(self, facts, case_id=None):
        return self.path(facts, case_id) if callable(self.path) else self.path

    def shown_url(self, client, facts):
        return self.url(facts, client.bench_case_id)

    def call(self, client, facts):
        headers = self._prepare(client)
        return client.get(self.url(facts, client.bench_case_id), headers=headers).status_code


@dataclass
class VisitPostTarget(ApiTarget):
    """The phone's visit POST: a new visit (new client_uuid) on one of the user's own cases each
    time. The visits it records are deleted afterwards, so that the data stays as loaded."""

    sent: list = field(default_factory=list)

    def call(self, client, facts):
        import uuid

        headers = self._prepare(client)
        client_uuid = str(uuid.uuid4())
        self.sent.append(client_uuid)
        today = datetime.now(UTC).date().isoformat()
        body = {"client_uuid": client_uuid, "visit_date": today, "method": "phone", "outcome": "refused"}
        return client.post(self.url(facts, client.bench_case_id), json=body, headers=headers).status_code

    def finish(self, app):
        with app.app_context():
            db.session.execute(delete(Visit).where(Visit.client_uuid.in_(self.sent)))
            db.session.commit()
        self.sent.clear()


TARGETS = [
    Target("case list", "/cases"),
    Target("case list, township filter", lambda f: f"/cases?township={f.township_id}", ("township1", "reviewer1")),
    Target("case list, name search", lambda f: f"/cases?q={f.name_query}"),
    Target("case detail", lambda f: f"/cases/{f.case_id}"),
    Target("my visits", "/visits/mine", ("teacher1", "cadre1")),
    Target("overdue visits", "/visits/overdue", ("township1", "reviewer1")),
    Target("review queue", "/review", ("reviewer1",)),
    Target("review page", lambda f: f"/review/{f.extra['pending_case_id']}", ("reviewer1",)),
    Target("audit trail", "/audit", ("reviewer1",)),
    Target("audit trail, one case", lambda f: f"/audit?case={f.case_id}", ("reviewer1",)),
    Target("case history", lambda f: f"/cases/{f.case_id}/history", ("reviewer1", "principal1")),
    Target("phone: pages it keeps", "/offline/pages.json", ("teacher1", "cadre1")),
    ApiTarget("API: due visits", "/api/v1/visits/due", ("teacher1", "cadre1")),
    ApiTarget("API: read a case", lambda f, case_id: f"/api/v1/cases/{case_id}", ("teacher1", "cadre1")),
    VisitPostTarget(
        "API: log a visit (POST)", lambda f, case_id: f"/api/v1/cases/{case_id}/visits", ("teacher1", "cadre1")
    ),
    Target("dashboard", "/dashboard", ("township1", "reviewer1", "cityreviewer1", "provincereviewer1")),
    Target("overdue visits, wide scope", "/visits/overdue", ("cityreviewer1", "provincereviewer1")),
    # a page past the end is the last page: the deepest page of the list
    Target("case list, last page", "/cases?page=999999", ("cityreviewer1", "provincereviewer1")),
]
ROOT = Path(__file__).resolve().parent.parent
#: DESIGN.md has no number for it; the bench holds a sweep over the province data to a minute
SWEEP_TARGET_SECONDS = 60


def find_facts(session):
    township = session.scalar(select(User).where(User.username == "township1"))
    principal = session.scalar(select(User).where(User.username == "principal1"))
    case_id = session.scalar(
        select(Case.id)
        .where(
            Case.school_id == principal.school_id,
            Case.township_id == township.area_id,
            Case.stage == Stage.TOWNSHIP_PERSUASION,
        )
        .order_by(Case.id)
        .limit(1)
    )
    # the commonest surname + first given character among township1's cases
    prefix = func.substr(Child.name, 1, 2)
    name_query = session.scalar(
        select(prefix)
        .join(Case, Case.child_id == Child.id)
        .where(Case.township_id == township.area_id)
        .group_by(prefix)
        .order_by(func.count().desc(), prefix)
        .limit(1)
    )
    reviewer = session.scalar(select(User).where(User.username == "reviewer1"))
    pending_case_id = session.scalar(
        select(Case.id)
        .where(Case.county_id == reviewer.area_id, Case.stage == Stage.PENDING_REVIEW)
        .order_by(Case.id)
        .limit(1)
    )
    return Facts(
        township_id=township.area_id, case_id=case_id, name_query=name_query, extra={"pending_case_id": pending_case_id}
    )


# --- statement recording --------------------------------------------------------------------------


class StatementLog:
    """Counts (and, when asked, keeps) the statements an engine sends."""

    def __init__(self, engine):
        self.count = 0
        self.keep = False
        self.kept = []
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        if self.keep:
            self.kept.append((statement, parameters, executemany))

    def start(self, keep=False):
        self.count = 0
        self.keep = keep
        self.kept = []


def replay_ms(engine, statements, repeat):
    """Median time (ms) of running the recorded reads once each, straight on a DBAPI connection.
    Writes (an audit entry, say) are left out: they would collide with the rows they made."""
    reads = [(s, p) for s, p, many in statements if not many and s.lstrip().upper().startswith(("SELECT", "WITH"))]
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        samples = []
        for _ in range(repeat + 1):
            started = time.perf_counter()
            for statement, parameters in reads:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            samples.append((time.perf_counter() - started) * 1000)
            raw.rollback()
        return statistics.median(samples[1:]), len(statements) - len(reads)
    finally:
        raw.close()


# --- databases ------------------------------------------------------------------------------------


def make_app(url):
    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        WTF_CSRF_ENABLED = False
        SQLALCHEMY_ENGINE_OPTIONS = {}

    return create_app(BenchConfig)


def ensure_database(url):
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            print(f"created database {target.database}")
    admin.dispose()


def schema_matches():
    inspector = inspect(db.engine)
    existing = set(inspector.get_table_names())
    for table in db.metadata.sorted_tables:
        if table.name not in existing:
            return False
        if {c["name"] for c in inspector.get_columns(table.name)} != {c.name for c in table.columns}:
            return False
    return True


def build_schema():
    """Alembic migrations if they produce the models' schema, else create_all."""
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    try:
        from flask_migrate import upgrade

        upgrade()
        if schema_matches():
            return "migrations"
        how = "migrations + create_all (migrations lag behind the models)"
        db.create_all()
        if schema_matches():
            return how
    except Exception as exc:  # noqa: BLE001 - any failure: fall back to the models
        print(f"  migrations failed ({type(exc).__name__}: {exc}); using create_all", file=sys.stderr)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.create_all()
    return "create_all"


def prepare(url, scale, reload):
    """Make sure ``url`` holds the ``scale`` demo data; return (app, load note)."""
    ensure_database(url)
    app = make_app(url)
    stamp = RESULTS / f".load-{make_url(url).database}.json"
    expected = generator.SCALES[scale].counties * generator.SCALES[scale].cases_per_county
    with app.app_context():
        loaded = (
            not reload
            and schema_matches()
            and db.session.scalar(select(func.count()).select_from(Case)) == expected
            and db.session.scalar(select(func.count()).select_from(Visit)) == expected * VISITS_PER_CASE
        )
        db.session.rollback()
        if loaded:
            note = json.loads(stamp.read_text()) if stamp.exists() else {}
            note["reused"] = True
        else:
            print(f"[{scale}] building schema and loading demo data into {make_url(url).database} ...", flush=True)
            how = build_schema()
            result = generator.seed(db.session, scale)
            started = time.perf_counter()
            db.session.commit()
            commit_s = time.perf_counter() - started
            note = {
                "scale": scale,
                "schema": how,
                "load_seconds": round(result.seconds + commit_s, 1),
                "generate_seconds": round(result.build_seconds, 1),
                "rows": sum(result.counts.values()),
                "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            RESULTS.mkdir(exist_ok=True)
            stamp.write_text(json.dumps(note))
            note["reused"] = False
        started = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
        note["analyze_seconds"] = round(time.perf_counter() - started, 1)
    return app, note


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Row:
    target: str
    user: str
    url: str
    status: int
    queries: int = 0
    median_ms: float = 0.0
    p95_ms: float = 0.0
    raw_ms: float = 0.0
    skipped_writes: int = 0
    county_queries: object = None


def login(app, username):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": generator.DEMO_PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"login as {username} failed: HTTP {response.status_code}")
    client.bench_user = username
    return client


def measure(app, requests, *, timed=True):
    with app.app_context():
        facts = find_facts(db.session)
        engine = db.engine
        db.session.remove()
    log = StatementLog(engine)
    rows = []
    for target in TARGETS:
        for username in target.users:
            client = login(app, username)
            statuses = {target.call(client, facts) for _ in range(WARMUP)}
            url = target.shown_url(client, facts)
            status = max(statuses)
            row = Row(target.name, username, url, status)
            rows.append(row)
            log.start(keep=True)
            target.call(client, facts)
            row.queries = log.count
            statements = log.kept
            log.start()
            if not 200 <= status < 300 or not timed:
                continue
            samples = []
            for _ in range(requests):
                started = time.perf_counter()
                target.call(client, facts)
                samples.append((time.perf_counter() - started) * 1000)
            row.median_ms = statistics.median(samples)
            row.p95_ms = _percentile(samples, 95)
            row.raw_ms, row.skipped_writes = replay_ms(engine, statements, requests)
    event.remove(engine, "before_cursor_execute", log._on_execute)
    for target in TARGETS:
        target.finish(app)
    return rows, facts


def _percentile(samples, pct):
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# --- the scheduler sweep --------------------------------------------------------------------------


@dataclass
class Sweep:
    label: str
    seconds: float
    status: int
    jobs: list = field(default_factory=list)  # (job, status, seconds, summary) as the command prints them
    error: str = ""


#: a line of ``scheduler --once``: job, status, seconds, summary (or error)
JOB_LINE = re.compile(r"^(\S+)\s+(\S+)\s+([\d.]+) s\s+(.*)$")


def verify_chain(url):
    """``flask --app wsgi audit verify`` on the province data: (seconds, exit code, its line)."""
    env = {**os.environ, "CASEWORKS_DATABASE_URL": url}
    command = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "audit", "verify"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    line = (done.stdout.strip() or done.stderr.strip()).splitlines()
    return seconds, done.returncode, line[0] if line else ""


def scheduler_available():
    return (ROOT / "caseworks" / "scheduler" / "cli.py").exists()


def sweep(url, label):
    """``flask --app wsgi scheduler --once`` on ``url`` as a subprocess, timed from outside
    (start-up of the app included)."""
    env = {**os.environ, "CASEWORKS_DATABASE_URL": url}
    command = [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "scheduler", "--once"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    jobs = [m.groups() for m in map(JOB_LINE.match, done.stdout.splitlines()) if m]
    error = "" if done.returncode == 0 else (done.stderr.strip().splitlines() or ["?"])[-1]
    return Sweep(label, seconds, done.returncode, jobs, error)


def sweep_report(sweeps):
    lines = [
        "",
        "## Scheduler sweep (province data, `flask --app wsgi scheduler --once`; "
        f"target under {SWEEP_TARGET_SECONDS} s)",
        "",
        "| sweep | exit | wall s (incl. app start-up) |",
        "|---|---:|---:|",
    ]
    for s in sweeps:
        lines.append(f"| {s.label} | {s.status} | {s.seconds:.1f} |" + (f" {s.error}" if s.error else ""))
    if sweeps and sweeps[0].jobs:
        lines += [
            "",
            "| job | " + " | ".join(f"{s.label}: s | {s.label}: result" for s in sweeps) + " |",
            "|---|" + "---:|---|" * len(sweeps),
        ]
        by_job = [dict((j[0], j) for j in s.jobs) for s in sweeps]
        for name in [j[0] for j in sweeps[0].jobs]:
            cells = []
            for jobs in by_job:
                job = jobs.get(name)
                cells += [job[2], f"{job[1]} `{job[3]}`"] if job else ["–", "–"]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def report(rows, notes, facts, requests, sweeps=None):
    lines = [
        f"# caseworks page benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"`.venv/bin/python -m bench.run --requests {requests}` on {os.cpu_count()} CPUs, PostgreSQL; "
        f"{requests} timed requests per row after {WARMUP} warm-ups, Flask test client, logged in.",
        "",
    ]
    for scale, note in notes.items():
        if note.get("reused"):
            loaded = f"reused (loaded earlier in {note.get('load_seconds', '?')} s)"
        else:
            loaded = f"loaded in {note['load_seconds']} s ({note['rows']:,} rows, schema by {note['schema']})"
        lines.append(f"- {scale} data: {loaded}; ANALYZE {note['analyze_seconds']} s")
    lines += [
        f"- case detail is case {facts.case_id}; name search is `q={facts.name_query}`",
        "",
        "| page | user | HTTP | median ms | p95 ms | SQL/request (province) | SQL/request (county) "
        "| raw SQL median ms |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        county = "–" if r.county_queries is None else str(r.county_queries)
        if r.status == 200:
            timing = f"{r.median_ms:.1f} | {r.p95_ms:.1f}"
            raw = f"{r.raw_ms:.1f}" + (f" (+{r.skipped_writes} writes)" if r.skipped_writes else "")
        else:
            timing, raw = "– | –", "–"
        lines.append(f"| {r.target} | {r.user} | {r.status} | {timing} | {r.queries} | {county} | {raw} |")
    lines += [
        "",
        "Raw SQL: the statements of one request replayed on a bare DBAPI connection (reads only, "
        "results fetched); the gap to the median is Python — ORM, templates, the test client.",
    ]
    if sweeps is not None:
        lines += (
            sweep_report(sweeps) if sweeps else ["", "Scheduler sweep: not measured (no caseworks/scheduler/cli.py)."]
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page and user (default 50)")
    parser.add_argument("--reload", action="store_true", help="rebuild the databases and reload the data")
    parser.add_argument("--skip-county", action="store_true", help="no county-scale comparison of query counts")
    parser.add_argument("--skip-sweep", action="store_true", help="no scheduler sweep")
    args = parser.parse_args(argv)

    url = os.environ.get("CASEWORKS_BENCH_DATABASE_URL", DEFAULT_URL)
    county_url = os.environ.get(
        "CASEWORKS_BENCH_COUNTY_DATABASE_URL",
        make_url(url).set(database=make_url(url).database + "_county").render_as_string(False),
    )
    notes = {}
    app, notes["province"] = prepare(url, "province", args.reload)
    rows, facts = measure(app, args.requests)
    if not args.skip_county:
        county_app, notes["county"] = prepare(county_url, "county", args.reload)
        county_rows, _ = measure(county_app, args.requests, timed=False)
        by_key = {(r.target, r.user): r for r in county_rows}
        for row in rows:
            other = by_key.get((row.target, row.user))
            row.county_queries = other.queries if other is not None else None
    sweeps = None
    if not args.skip_sweep:
        sweeps = []
        if scheduler_available():
            fresh = not notes["province"].get("reused")
            for n in (1, 2):
                label = f"sweep {n}" + (" (fresh data)" if n == 1 and fresh else "")
                print(f"[province] scheduler {label} ...", flush=True)
                sweeps.append(sweep(url, label))
    text_report = report(rows, notes, facts, args.requests, sweeps)
    print("[province] audit verify ...", flush=True)
    seconds, status, line = verify_chain(url)
    text_report += (
        f"\n## Audit chain\n`flask --app wsgi audit verify` on the province data: {seconds:.1f} s "
        f"(exit {status}): {line}\n"
    )
    print(text_report)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.md"
    out.write_text(text_report, encoding="utf-8")
    print(f"written to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")


if __name__ == "__main__":
    main()
