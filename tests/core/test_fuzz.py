"""Hostile input never makes a server error, and a refused submission saves nothing.

The pages are crawled as every role (and anonymously) over a small world with a case at every
stage; every form found (its fields, their offered options) and every query parameter found in
a link is then sent hostile values by hypothesis: NUL bytes and control characters, extreme
dates, huge and negative numbers, wrong types, very long texts, repeated fields. Bounded:
``CASEWORKS_FUZZ_EXAMPLES`` examples per form (default 4), no deadline per example.
"""

import os
from collections import OrderedDict
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text
from werkzeug.datastructures import MultiDict

from caseworks.cases.models import Case
from caseworks.core import clock
from caseworks.core.choices import CaseKind, ClosedOutcome, Stage
from caseworks.extensions import db
from caseworks.ladder.models import ClosureRequest, Notice
from caseworks.visits.models import Visit

EXAMPLES = int(os.environ.get("CASEWORKS_FUZZ_EXAMPLES", "4"))
#: pages crawled per role
MAX_PAGES = 45
#: never followed or sent: they end the session or switch the language
SKIP = ("/logout", "/lang/", "/static/", "/visits/photos/", "/api/")
#: rows that an answer with an error status may still leave (the audit trail of failed logins
#: and sensitive reads; the administrators' alert of an attack)
MAY_CHANGE = {"audit_entry", "audit_head", "inbox_message"}

HOSTILE_TEXT = [
    "\x00",
    "a\x00b",
    "\x01\x02\x1f",
    "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "99999999999999999999",
    "-99999999999999999999",
    "-1",
    "0",
    "1e309",
    "nan",
    "inf",
    "{child:d}",
    "{child:>20000000}",
    "{0.__class__}",
    "<script>alert(1)</script>",
    '=HYPERLINK("http://x")',
    "x" * 5000,
    "",
    " ",
    "true",
    "[]",
    "12345678-1234-1234-1234-1234567890123456789",
]


class FormParser(HTMLParser):
    """Forms (action, method, fields with the values offered) and links of a page."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.links = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": {}}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            values = self._form["fields"].setdefault(a["name"], [])
            if kind in ("checkbox", "radio") and "checked" not in a:
                values.append(("option", a.get("value", "on")))
            elif kind != "file":
                values.append(("value", a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = self._form["fields"].setdefault(a["name"], [])
        elif tag == "option" and self._select is not None:
            self._select.append(("option", a.get("value", "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea = self._form["fields"].setdefault(a["name"], [])
            self._textarea.append(("value", ""))

    def handle_data(self, data):
        if self._textarea is not None and data.strip():
            self._textarea[-1] = ("value", data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _local(url, base):
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = parts.path or base
    if not path.startswith("/") or path.startswith(SKIP):
        return None
    return path, parts.query


def crawl(client, seeds):
    """Every form and every query parameter reachable from ``seeds``: {(method, path): fields}."""
    targets = OrderedDict()
    queue = list(seeds)
    seen = set()
    while queue and len(seen) < MAX_PAGES:
        url = queue.pop(0)
        path = urlsplit(url).path
        if path in seen:
            continue
        seen.add(path)
        response = client.get(url)
        html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()  # a download's temporary file goes with it
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        parser = FormParser()
        parser.feed(html)
        for href in parser.links:
            found = _local(href, path)
            if found is None:
                continue
            link_path, query = found
            if query:
                fields = targets.setdefault(("get", link_path), {})
                for name, value in parse_qsl(query, keep_blank_values=True):
                    fields.setdefault(name, []).append(("value", value))
            if link_path not in seen:
                queue.append(link_path + (f"?{query}" if query else ""))
        for form in parser.forms:
            found = _local(form["action"], path)
            if found is None:
                continue
            fields = targets.setdefault((form["method"], found[0]), {})
            for name, values in form["fields"].items():
                fields.setdefault(name, []).extend(values)
    return targets


def table_counts():
    names = [t.name for t in db.metadata.sorted_tables if t.name not in MAY_CHANGE]
    counts = {n: db.session.scalar(text(f"SELECT count(*) FROM {n}")) for n in names}  # noqa: S608
    counts["case versions"] = db.session.scalar(select(func.coalesce(func.sum(Case.version), 0)))
    return counts


def hostile_values(choices):
    """What one field is sent: one of the values the page offers, or something hostile."""
    offered = sorted({v for _kind, v in choices}) or [""]
    single = st.one_of(st.sampled_from(offered), st.sampled_from(HOSTILE_TEXT), st.text(max_size=30))
    return st.one_of(single, st.lists(single, min_size=2, max_size=3), st.just(None))


def fuzz_target(client, method, path, fields):
    names = sorted(fields) or ["q"]
    strategy = st.fixed_dictionaries({n: hostile_values(fields.get(n, [])) for n in names})
    # the CSRF token, the version of what is edited and the resend key are what a hostile client
    # would keep to get past the first checks
    kept = {n: fields[n][0][1] for n in ("csrf_token",) if n in fields}

    # deterministic examples first: every typed field at once holding one hostile value (the
    # offered options kept, so that the form gets past them), and everything a NUL byte
    typed = {n for n in names if any(kind == "value" for kind, _v in fields.get(n, []))}
    option = {n: fields[n][0][1] for n in names if fields.get(n)}
    explicit = [{n: "a\x00b" for n in names}]
    for value in ("a\x00b", "0001-01-01", "9999-12-31", "99999999999999999999", "{child:>20000000}"):
        explicit.append({n: value if n in typed or n not in option else option[n] for n in names})

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(values=strategy)
    def send(values):
        data = [
            (n, v)
            for n, value in values.items()
            if value is not None
            for v in (value if isinstance(value, list) else [value])
        ]
        data = MultiDict([*data, *kept.items()])
        before = table_counts() if method == "post" else None
        if method == "post":
            response = client.post(path, data=data)
        else:
            response = client.get(path, query_string=data)
        response.close()
        assert response.status_code < 500, (method, path, data, response.status_code)
        if method == "post" and response.status_code not in (301, 302, 303):
            db.session.expire_all()
            assert table_counts() == before, (path, data, response.status_code)

    for values in explicit:
        send.hypothesis.inner_test(values)
    send()


@pytest.fixture
def world(make_case, users, places):
    """A case at every stage (assigned to the users), a notice, a planned visit and a closure
    waiting for review."""
    today = clock.today()
    common = {"teacher": users.teacher, "cadre": users.village_cadre, "opened_date": today - timedelta(days=60)}
    cases = {
        stage: make_case(stage=stage, **common)
        for stage in (Stage.SCHOOL_PERSUASION, Stage.TOWNSHIP_PERSUASION, Stage.ADMINISTRATIVE, Stage.JUDICIAL)
    }
    cases["suspected"] = make_case(kind=CaseKind.SUSPECTED, **common)
    cases["at_risk"] = make_case(kind=CaseKind.AT_RISK, **common)
    returned = today - timedelta(days=40)
    pending = make_case(
        stage=Stage.PENDING_REVIEW,
        resume_stage=Stage.TOWNSHIP_PERSUASION,
        return_date=returned,
        return_school_id=places.school_a1.id,
        monitoring_until=returned + timedelta(days=30),
        **common,
    )
    db.session.add(
        ClosureRequest(
            case_id=pending.id,
            outcome=ClosedOutcome.RETURNED_TO_SCHOOL,
            from_stage=Stage.TOWNSHIP_PERSUASION,
            requested_by_id=users.school_admin.id,
            requested_dt=clock.now() - timedelta(days=2),
        )
    )
    admin_case = cases[Stage.ADMINISTRATIVE]
    db.session.add(
        Notice(
            case_id=admin_case.id,
            kind="urge",
            county_id=admin_case.county_id,
            year=today.year,
            number=900,
            document_no="平教〔2026〕第900号",
            title="督促复学通知书",
            body="你的子女……",
            recipient="王大山",
            deadline_days=15,
            issued_dt=clock.now(),
            issued_by_id=users.township_official.id,
        )
    )
    db.session.add(
        Visit(
            case_id=cases[Stage.SCHOOL_PERSUASION].id, due_date=today + timedelta(days=3), assignee_id=users.teacher.id
        )
    )
    db.session.flush()
    return [*cases.values(), pending]


ROLES = ["teacher", "village_cadre", "school_admin", "township_official", "county_reviewer", "admin"]


def endpoint_of(app, method, path):
    try:
        return app.url_map.bind("localhost").match(path, method=method.upper())[0]
    except Exception:  # noqa: BLE001 - a link to nowhere is fuzzed by its path
        return path


def test_hostile_input_to_every_form_and_query_parameter(app, client, login, users, world):
    """Each form and query of each endpoint once (as the first role that finds it)."""
    done = set()
    for role in ROLES:
        login(getattr(users, role))
        seeds = ["/", "/cases", "/account", "/inbox", "/visits/mine", "/visits/overdue", "/review", "/audit"]
        seeds += [f"/cases/{c.id}" for c in world] + [f"/review/{world[-1].id}"]
        seeds += ["/admin/users", "/admin/users/new", "/places", "/review/spot-checks", "/cases/new"]
        for (method, path), fields in crawl(client, seeds).items():
            key = (method, endpoint_of(app, method, path), tuple(sorted(fields)))
            if key in done:
                continue
            done.add(key)
            fuzz_target(client, method, path, fields)
            if client.get("/account").status_code != 200:  # a form ended the session (a password change)
                login(getattr(users, role))
    assert len(done) >= 20, done


def test_hostile_input_to_the_login_form(client, users):
    targets = crawl(client, ["/login"])
    assert ("post", "/login") in targets
    for (method, path), fields in targets.items():
        fuzz_target(client, method, path, fields)


def test_the_crawl_finds_the_case_forms(client, login, users, world):
    login(users.township_official)
    targets = crawl(client, [f"/cases/{c.id}" for c in world])
    posted = {path for method, path in targets if method == "post"}
    assert any(p.endswith("/notices/new") or "/transitions/" in p for p in posted), posted
    assert date.today()  # noqa: DTZ011 - only that the module's imports are used
