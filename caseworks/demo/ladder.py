"""The ladder's records behind the demo cases' stage history, as rows for bulk insertion: the
notices served before the administrative procedure (and the ones still running or just lapsed),
the legal steps of the judicial procedure, the return to school and its monitoring period, and
the closure requests of the cases waiting for review or closed.

Everything follows the case's path and entry dates (caseworks.demo.history), so that the
ladder's guards agree with the data: a case past township persuasion has a served notice, a
case in the judicial procedure a notice whose deadline lapsed before it got there and at least
one legal step, a case waiting for review one open request, a closed case an approved one.
Notices are numbered per county and year in the order they were issued, through the same
document number, title, text and issuer as ``caseworks.ladder.operations.issue_notice`` with the
default policy profile; the notice counters end at the highest number used.
"""

from collections import defaultdict
from datetime import UTC, date, timedelta
from types import SimpleNamespace

from caseworks.core import clock
from caseworks.demo import names
from caseworks.demo.history import LADDER, at_local
from caseworks.ladder.operations import fill_notice_text

#: a current administrative case's latest notice: an order served lately and still running, one
#: whose deadline lapsed in the last days (the scheduler has yet to flag it), or neither
RUNNING_ODDS, JUST_LAPSED_ODDS = 0.35, 0.2
#: a lapsed deadline the scheduler has not flagged yet is at most this many days old
UNFLAGGED_DAYS = 7
#: township persuasion cases with a notice issued (some not served yet)
TOWNSHIP_NOTICE_ODDS, TOWNSHIP_SERVED_ODDS = 0.4, 0.8
#: legal steps, in the order they happen; the first is recorded with the start of the procedure
LEGAL_SEQUENCES = (
    (("support_prosecution",), 3),
    (("support_prosecution", "lawsuit"), 4),
    (("support_prosecution", "lawsuit", "mediation"), 3),
    (("support_prosecution", "lawsuit", "judgment"), 1),
    (("support_prosecution", "lawsuit", "reprimand"), 2),
    (("lawsuit", "mediation"), 2),
    (("lawsuit", "reprimand", "guidance_order"), 1),
    (("lawsuit", "guidance_order"), 1),
)
STEP_WORDS = {"support_prosecution": "支持起诉意见书", "lawsuit": "起诉状"}
#: health deferrals per county whose end has already passed (the scheduler sends them to review)
EXPIRED_DEFERRALS = 2


#: how the demo notices were served: mostly in person, some left at home, posted or entrusted
SERVICE_WAYS = ("direct",) * 6 + ("left_at_home", "by_post", "entrusted")


class LadderBuilder:
    def __init__(self, ctx, profile):
        self.ctx = ctx
        self.today = ctx.today
        self.now = ctx.now
        self.profile = profile
        self.notices, self.counters, self.legal_steps, self.closure_requests = [], [], [], []
        self._county_notices = []  # this county's, numbered when it is done
        self._evidence = []  # (stage change, notice, legal step or None): evidence to fill in then
        self._serials = defaultdict(int)  # (county id, year, series) -> last number
        self._expired = 0
        self.counts = defaultdict(int)

    # --- one case ---------------------------------------------------------------------------

    def case(self, rng, places, case, child, guardians, path, dates, people, changes, outcome, requester=None):
        """Fill in ``case``'s return and closure fields and make its ladder records. ``changes``
        are its StageChange rows (the one entering ``path[i]`` is ``changes[i - 1]``); the
        escalations' evidence and the closure requests' times come from them."""
        self._return(rng, places, case, path, dates, people)
        ctx = SimpleNamespace(
            rng=rng,
            places=places,
            case=case,
            child=child,
            guardians=guardians,
            path=path,
            dates=dates,
            people=people,
            changes=changes,
            served=[],
        )
        self._notices(ctx)
        for j in range(1, len(path)):
            if path[j] == "judicial" and path[j - 1] == "administrative":
                self._legal_steps(ctx, j)
        if "pending_review" in path:
            self._closure(ctx, outcome, requester)

    def _return(self, rng, places, case, path, dates, people):
        """The last return to school recorded (kept after a relapse, as the transition leaves it)."""
        returns = [i for i, s in enumerate(path) if s == "returned"]
        if not returns:
            case["resume_stage"] = None
            return
        r = returns[-1]
        back = dates[r]
        school = case["school_id"]
        grade = case["grade"]
        if school is None:  # a child never enrolled starts in the first grade of the township's primary school
            school = places.schools_of[case["township_id"]][0]["id"]
            grade = names.GRADES[0]
        title = rng.choice(names.CONFIRMER_TITLES)
        principal = people["principal"]
        who = (
            principal["full_name"]
            if title == "校长" and principal
            else names.adult_name(rng, rng.choice(("male", "female")))
        )
        case["resume_stage"] = path[r - 1]
        case["return_date"] = back
        case["return_school_id"] = school
        case["return_class"] = case["class_name"] and f"{grade}{case['class_name']}" or f"{grade}{rng.randint(1, 4)}班"
        case["return_confirmed_by"] = f"{title} {who}"
        relapsed = r + 1 < len(path) and path[r + 1] in LADDER
        case["monitoring_until"] = None if relapsed else back + timedelta(days=self.profile.monitoring_days)

    # --- notices ----------------------------------------------------------------------------

    def _notices(self, c):
        rng, path, dates = c.rng, c.path, c.dates
        last = len(path) - 1
        for a in range(1, len(path)):
            if path[a] != "administrative":
                continue
            start, entered = dates[a - 1], dates[a]
            urge = None
            if path[a - 1] == "township_persuasion":
                # the notice urging the return, served in township persuasion: the guard for escalating
                issued = start + timedelta(days=rng.randint(0, max(0, (entered - start).days - 2)))
                served = issued + timedelta(days=rng.randint(0, min(3, (entered - issued).days)))
                urge = self._notice(c, "urge", issued, served)
                self._evidence.append((c.changes[a - 1], urge, None))
            # (back here after a relapse: the notices of the first stay were served already)
            # in the administrative procedure: an order to correct, lapsed before the judicial one
            following = path[a + 1] if a + 1 < len(path) else None
            if following == "judicial":
                latest = urge or c.served[-1]
                room = (dates[a + 1] - entered).days - 16  # served + 15 days must lie before the next stage
                if (urge is None or rng.random() < 0.7) and room >= 0:
                    issued = entered + timedelta(days=rng.randint(0, room))
                    served = issued + timedelta(
                        days=rng.randint(0, min(2, (entered + timedelta(days=room) - issued).days))
                    )
                    latest = self._notice(c, "order", issued, served)
                c.judicial_notice = latest
            elif a == last:  # still in the administrative procedure
                draw = rng.random()
                lately = None
                if draw < RUNNING_ODDS:
                    lately = self.today - timedelta(days=rng.randint(0, 14))
                elif draw < RUNNING_ODDS + JUST_LAPSED_ODDS:
                    lately = self.today - timedelta(days=rng.randint(16, 15 + UNFLAGGED_DAYS))
                elif rng.random() < 0.5:
                    lately = entered + timedelta(days=rng.randint(0, min(30, (self.today - entered).days)))
                if lately is not None and lately >= entered:
                    issued = max(entered, lately - timedelta(days=rng.randint(0, 3)))
                    self._notice(c, "order", issued, lately)
            elif following is not None and rng.random() < 0.4:  # an order before the child came back
                end = dates[a + 1]
                if (end - entered).days >= 2:
                    issued = entered + timedelta(days=rng.randint(0, (end - entered).days - 2))
                    self._notice(c, "order", issued, issued + timedelta(days=rng.randint(0, 1)))
        if path[last] == "township_persuasion" and rng.random() < TOWNSHIP_NOTICE_ODDS:
            start = dates[last]
            issued = start + timedelta(days=rng.randint(0, (self.today - start).days))
            served = None
            if rng.random() < TOWNSHIP_SERVED_ODDS and issued < self.today:
                served = issued + timedelta(days=rng.randint(0, min(3, (self.today - issued).days)))
            self._notice(c, "urge", issued, served)

    def _notice(self, c, kind, issued, served):
        rng, case, profile = c.rng, c.case, self.profile
        official = c.people["official"]
        guardian = c.guardians[0]
        at_home = [g for g in c.guardians if not g["is_working_away"]]
        deadline_days = profile.notice_deadline_days
        urge = kind == "urge"
        # as the notice is issued: the case's school, or where a child never enrolled went back to
        # before a relapse (fill_notice_text's case.return_school)
        school_id = case["school_id"]
        if school_id is None and any(s == "returned" and d <= issued for s, d in zip(c.path, c.dates, strict=True)):
            school_id = case["return_school_id"]
        school = next((s for s in c.places.schools if s["id"] == school_id), None)
        body = fill_notice_text(
            profile.urge_notice_text if urge else profile.order_notice_text,
            SimpleNamespace(
                child=SimpleNamespace(**c.child), school=school and SimpleNamespace(**school), return_school=None
            ),
            recipient=guardian["name"],
            deadline_days=deadline_days,
        )
        township = next(t for t in c.places.townships if t["id"] == case["township_id"])
        deadline = served + timedelta(days=deadline_days) if served else None
        served_by = official["full_name"] + (f"、{c.people['cadre']['full_name']}" if c.people["cadre"] else "")
        notice = {
            "case_id": case["id"],
            "kind": kind,
            "county_id": case["county_id"],
            "year": issued.year,
            "number": None,
            "document_no": None,
            "title": profile.urge_notice_title if urge else profile.order_notice_title,
            "body": body,
            "issuer": profile.notice_issuer or township["name"] + "人民政府",
            "recipient": guardian["name"],
            "deadline_days": deadline_days,
            "issued_dt": at_local(rng, issued, self.now),
            "issued_by_id": official["id"],
            "served_date": served,
            "served_to": (rng.choice(at_home) if at_home else guardian)["name"] if served else None,
            "served_by": served_by if served else None,
            "service_method": SERVICE_WAYS[case["id"] % len(SERVICE_WAYS)] if served else None,
            "deadline_date": deadline,
            "lapsed_flagged_dt": self._flagged(c, deadline),
        }
        self.notices.append(notice)
        self._county_notices.append(notice)
        if served:
            c.served.append(notice)
        self.counts["running" if deadline and deadline >= self.today else "lapsed" if deadline else "unserved"] += 1
        return notice

    def _flagged(self, c, deadline):
        """When the scheduler's flag_lapsed_deadlines flagged the lapsed deadline (its first run
        after it, if the case was still in township persuasion or the administrative procedure
        then); None for one that lapsed in the last days and for one the case had moved on from."""
        if deadline is None or deadline >= self.today:
            return None
        day = deadline + timedelta(days=1)
        stage = next(s for s, d in zip(reversed(c.path), reversed(c.dates), strict=True) if d <= day)
        if stage not in ("township_persuasion", "administrative"):
            return None
        if (self.today - deadline).days <= UNFLAGGED_DAYS and stage == c.path[-1]:
            self.counts["unflagged"] += 1
            return None
        return (clock.local_date_start(day) + timedelta(minutes=15)).astimezone(UTC)

    # --- the judicial procedure -------------------------------------------------------------

    def _legal_steps(self, c, j):
        rng, case, places = c.rng, c.case, c.places
        start = c.dates[j]
        end = c.dates[j + 1] - timedelta(days=1) if j + 1 < len(c.path) else self.today
        kinds = rng.choices([k for k, _ in LEGAL_SEQUENCES], [w for _, w in LEGAL_SEQUENCES])[0]
        room = (end - start).days
        kinds = kinds[: 1 + min(len(kinds) - 1, max(0, room // 7))]
        days = [start] + sorted(start + timedelta(days=rng.randint(5, room)) for _ in kinds[1:])
        county = places.county
        county_name, code = county["name"], county["code"]
        city_short = names.CITY_SHORT.get(code[:4], "黔")
        court_no = None
        first = None
        for kind, day in zip(kinds, days, strict=True):
            year = day.year
            if kind == "support_prosecution":
                authority = f"{county_name}人民检察院"
                document_no = (
                    f"{city_short}{county_name[0]}检民支〔{year}〕{self._next(county['id'], year, 'procuratorate')}号"
                )
            else:
                authority = f"{county_name}人民法院"
                if court_no is None:
                    court_no = f"（{year}）黔{code[2:6]}民初{self._next(county['id'], year, 'court', 100)}号"
                if kind == "guidance_order":
                    document_no = f"（{year}）黔{code[2:6]}家教指{self._next(county['id'], year, 'guidance')}号"
                elif kind == "reprimand":
                    document_no = court_no + "之一"
                else:
                    document_no = court_no
            step = {
                "case_id": case["id"],
                "kind": kind,
                "step_date": day,
                "authority": authority,
                "document_no": document_no,
                "result": rng.choice(names.LEGAL_RESULTS[kind]),
                "recorded_by_id": c.people["official"]["id"],
                "recorded_dt": at_local(rng, day, self.now),
            }
            self.legal_steps.append(step)
            first = first or step
        self._evidence.append((c.changes[j - 1], c.judicial_notice, first))

    def _next(self, county_id, year, series, base=0):
        key = (county_id, year, series)
        if key not in self._serials:
            self._serials[key] = base
        self._serials[key] += 1
        return self._serials[key]

    # --- review -----------------------------------------------------------------------------

    def _closure(self, c, outcome, requester):
        rng, case, path, dates, changes = c.rng, c.case, c.path, c.dates, c.changes
        p = max(i for i, s in enumerate(path) if s == "pending_review")
        asked = changes[p - 1]
        came_from = path[p - 1] if path[p - 1] != "returned" else path[p - 2]
        if asked["transition"] == "end_monitoring":
            requester = None
            details = {
                "return_date": case["return_date"].isoformat(),
                "monitoring_until": case["monitoring_until"].isoformat(),
            }
        else:
            if requester is None:
                principal = c.people["principal"]
                requester = principal if principal and rng.random() < 0.7 else c.people["official"]
            asked["actor_id"] = requester["id"]
            details = self._details(c, outcome, dates[p])
        request = {
            "case_id": case["id"],
            "outcome": outcome,
            "details": details,
            "from_stage": came_from,
            "requested_by_id": requester["id"] if requester else None,
            "requested_dt": asked["changed_dt"],
            "decided_by_id": None,
            "decided_dt": None,
            "decision": None,
            "decision_reason": "",
        }
        if path[-1] == "closed":
            approved = changes[-1]
            reviewer = c.places.reviewer
            approved["actor_id"] = reviewer["id"]
            request.update(
                decided_by_id=reviewer["id"],
                decided_dt=approved["changed_dt"],
                decision="approved",
                decision_reason=approved["reason"],
            )
            if outcome == "health_deferral":
                case["closed_until"] = date.fromisoformat(details["until"])
        self.closure_requests.append(request)
        self.counts["open_requests" if path[-1] != "closed" else "approved_requests"] += 1

    def _details(self, c, outcome, asked_on):
        """What the closure form asks for the outcome (caseworks.ladder.forms.OUTCOME_NEEDS)."""
        rng, case, places = c.rng, c.case, c.places
        county, city = places.county["name"], _city_name(places.county["code"])
        earliest = case["opened_date"]

        def before(low, high):
            return max(earliest, asked_on - timedelta(days=rng.randint(low, high))).isoformat()

        if outcome == "health_deferral":
            closed = c.path[-1] == "closed"
            if closed and self._expired < EXPIRED_DEFERRALS and (self.today - c.dates[-1]).days >= 30:
                self._expired += 1
                until = self.today - timedelta(days=rng.randint(1, 5))
            else:
                until = max(
                    asked_on + timedelta(days=rng.randint(120, 365)), self.today + timedelta(days=rng.randint(20, 200))
                )
            certificate = rng.choice(names.DEFERRAL_CERTIFICATES).format(county=county, city=city)
            return {
                "certificate": f"{certificate}（{asked_on.year}）第{rng.randint(100, 9999)}号",
                "approval_date": before(1, 12),
                "approved_by": rng.choice((f"{county}教育局", f"{county}教育局（经乡镇人民政府审核）")),
                "until": until.isoformat(),
            }
        if outcome == "home_schooling":
            teacher = c.people["teacher"]
            return {
                "home_teacher": teacher["full_name"] if teacher else names.adult_name(rng, "female"),
                "schedule": rng.choice(names.HOME_SCHEDULES),
            }
        if outcome == "special_school":
            return {"destination": places.special_school["name"], "event_date": before(3, 30)}
        if outcome == "vocational_school":
            return {
                "destination": rng.choice(names.VOCATIONAL_SCHOOLS).format(county=county, city=city),
                "event_date": before(3, 30),
            }
        if outcome == "transferred_out":
            return {"destination": rng.choice(names.TRANSFER_DESTINATIONS), "event_date": before(3, 40)}
        if outcome == "moved_abroad":
            return {"destination": rng.choice(names.ABROAD_DESTINATIONS), "event_date": before(10, 60)}
        if outcome == "deceased":
            return {
                "event_date": before(5, 30),
                "certificate": f"居民死亡医学证明（推断）书 第{rng.randint(10**6, 10**7 - 1)}号",
            }
        return {}

    # --- a county done ----------------------------------------------------------------------

    def finish_county(self):
        """Number the county's notices per year in the order they were issued, name them in the
        escalations' evidence, and leave the counters at the last number."""
        notices = sorted(self._county_notices, key=lambda n: (n["issued_dt"], n["case_id"]))
        last = {}
        for notice in notices:
            year = notice["year"]
            last[year] = number = last.get(year, 0) + 1
            notice["number"] = number
            notice["document_no"] = f"{self.profile.notice_number_prefix}〔{year}〕第{number}号"
        county_id = notices[0]["county_id"] if notices else None
        self.counters.extend({"county_id": county_id, "year": y, "last_number": n} for y, n in sorted(last.items()))
        for change, notice, step in self._evidence:
            if step is None:
                change["evidence"] = names.EVIDENCE["escalate_administrative"].format(
                    title=notice["title"],
                    document_no=notice["document_no"],
                    served_date=notice["served_date"].isoformat(),
                    served_to=notice["served_to"],
                )
            else:
                change["evidence"] = names.EVIDENCE["escalate_judicial"].format(
                    title=notice["title"],
                    document_no=notice["document_no"],
                    deadline_date=notice["deadline_date"].isoformat(),
                    step=STEP_WORDS.get(step["kind"], ""),
                    step_no=step["document_no"],
                )
        self._county_notices, self._evidence = [], []
        self._expired = 0


def _city_name(county_code):
    for name, prefix in names.CITIES:
        if county_code.startswith(prefix):
            return name
    return ""
