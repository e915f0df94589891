"""The persuasion ledger (劝返台账) as a workbook: one row per case, and a second sheet with one
row per persuasion attempt, in the columns DOMAIN.md lists and officials hand in."""

from flask_babel import gettext as _

from caseworks.core import clock
from caseworks.core.choices import (
    ClosedOutcome,
    DropoutReason,
    Gender,
    GuardianRelation,
    Stage,
    SupportKind,
    VisitMethod,
    VisitOutcome,
)
from caseworks.core.export import Sheet, new_workbook
from caseworks.core.idnumber import mask

# The columns are the ledger's own, in the words of the form officials hand in (DOMAIN.md), whatever
# the language of the screen; the values are labelled in the user's language like every page.
CASE_COLUMNS = (
    ("学生姓名", 10),
    ("性别", 6),
    ("身份证号码", 21),
    ("就读学校及年级", 24),
    ("辍学年月", 10),
    ("监护人姓名", 16),
    ("电话", 14),
    ("家庭住址", 28),
    ("户籍所在地", 28),
    ("辍学原因", 20),
    ("已采取的帮扶措施", 30),
    ("包保教师", 10),
    ("包村干部", 10),
    ("当前阶段", 12),
    ("劝返次数", 8),
    ("最近劝返时间", 12),
    ("劝返情况", 30),
)
ATTEMPT_COLUMNS = (
    ("学生姓名", 10),
    ("身份证号码", 21),
    ("劝返次数", 8),
    ("劝返人员", 20),
    ("劝返时间", 12),
    ("方式", 12),
    ("劝返情况", 40),
)


def ledger_workbook(rows, *, title, full_ids):
    """The workbook of ``rows`` (:class:`caseworks.ledgers.queries.LedgerCase`, streamed) and the
    number of cases written. ``title`` (area, filter, date) heads both sheets. ID numbers are
    whole only where ``full_ids`` and the case is the user's own; the title says when they are
    masked."""
    book = new_workbook()
    cases = Sheet(book, "劝返台账", [w for _n, w in CASE_COLUMNS], frozen_rows=2)
    attempts = Sheet(book, "劝返记录", [w for _n, w in ATTEMPT_COLUMNS], frozen_rows=2)
    note = "" if full_ids else _("(ID numbers masked)")
    for sheet in (cases, attempts):
        sheet.title_row(f"{title} {note}".strip())
    cases.header([n for n, _w in CASE_COLUMNS])
    attempts.header([n for n, _w in ATTEMPT_COLUMNS])
    written = 0
    places = {}  # the household village's full name, once per village
    for item in rows:
        case, child = item.case, item.case.child
        id_number = child.id_number if full_ids and item.held else mask(child.id_number)
        last = item.attempts[-1] if item.attempts else None
        cases.row(
            [
                child.name,
                str(Gender.label_of(child.gender)),
                id_number,
                _school_and_grade(case),
                case.dropout_date.strftime("%Y-%m") if case.dropout_date else "",
                "、".join(f"{g.name}（{GuardianRelation.label_of(g.relation)}）" for g in child.guardians),
                "、".join(g.phone for g in child.guardians if g.phone),
                child.address,
                places.setdefault(child.household_village_id, child.household_village.full_name),
                "、".join(str(DropoutReason.label_of(r.reason)) for r in case.reason_rows),
                "；".join(_support_text(m) for m in item.support),
                case.teacher.full_name if case.teacher else "",
                case.cadre.full_name if case.cadre else "",
                str(Stage.label_of(case.stage)),
                len(item.attempts),
                last.visit_date if last else None,
                _attempt_text(last) if last else "",
            ]
        )
        for number, visit in enumerate(item.attempts, start=1):
            attempts.row(
                [
                    child.name,
                    id_number,
                    number,
                    visit.visitor_names,
                    visit.visit_date,
                    str(VisitMethod.label_of(visit.method)),
                    _attempt_text(visit),
                ]
            )
        written += 1
    return book, written


def ledger_title(area_name, filter_text):
    return f"{area_name}控辍保学劝返台账（{filter_text}，{clock.today():%Y年%m月%d日}导出）"


def _school_and_grade(case):
    if case.school is None:
        return "未入学"
    return f"{case.school.name}{case.grade or ''}{case.class_name or ''}"


def _support_text(measure):
    kind = SupportKind.label_of(measure.kind)
    return f"{kind}：{measure.detail}" if measure.detail else str(kind)


def _attempt_text(visit):
    outcome = VisitOutcome.label_of(visit.outcome) if visit.outcome else ""
    return "；".join(str(part) for part in (outcome, visit.findings) if part)


MONTHLY_COLUMNS = (
    ("学校", 22),
    ("年级班级", 10),
    ("学生姓名", 10),
    ("去向", 14),
    ("包保老师", 10),
    ("劝返情况", 24),
    ("处理措施", 30),
    ("家长姓名", 12),
    ("地址", 28),
    ("电话", 14),
    ("辍学原因", 20),
)


def monthly_workbook(report, figure_labels, *, place):
    """The monthly report as a workbook: the totals by township and school, then the cases."""
    book = new_workbook()
    title = f"{place}控辍保学月报（{report.month:%Y年%m月}）"
    totals = Sheet(book, "月报汇总", [24] + [12] * (len(figure_labels) + 1), frozen_rows=2)
    totals.title_row(title)
    totals.header(["单位", *(str(label) for label in figure_labels.values()), "销号去向"])

    def total_row(unit, name):
        closures = "、".join(f"{ClosedOutcome.label_of(k)} {n}" for k, n in sorted(unit.closed.items()))
        totals.row([name, *(unit.figures[f] for f in figure_labels), closures])

    total_row(report.total, report.total.name or "合计")
    for township in report.townships:
        total_row(township, township.name)
        for school in township.children:
            total_row(school, f"　{school.name or '未入学'}")
    cases = Sheet(book, "月报明细", [w for _n, w in MONTHLY_COLUMNS], frozen_rows=2)
    cases.title_row(title)
    cases.header([n for n, _w in MONTHLY_COLUMNS])
    for row in report.rows:
        case, child = row.case, row.case.child
        whereabouts = (
            ClosedOutcome.label_of(case.closed_outcome) if case.closed_outcome else Stage.label_of(row.stage_at_end)
        )
        cases.row(
            [
                case.school.name if case.school else "未入学",
                f"{case.grade or ''}{case.class_name or ''}",
                child.name,
                str(whereabouts),
                case.teacher.full_name if case.teacher else "",
                f"劝返{row.attempts}次" + (f"，{VisitOutcome.label_of(row.last_outcome)}" if row.last_outcome else ""),
                case.plan_summary,
                "、".join(g.name for g in child.guardians),
                child.address,
                "、".join(g.phone for g in child.guardians if g.phone),
                "、".join(str(DropoutReason.label_of(r.reason)) for r in case.reason_rows),
            ]
        )
    return book


VILLAGE_COLUMNS = (
    ("自然村", 14),
    ("姓名", 10),
    ("出生年月", 10),
    ("户主姓名", 12),
    ("辍学原因", 24),
    ("入户劝返次数", 12),
    ("备注", 16),
)


def village_workbook(villages, *, place):
    """The village sheet: one row per open case, by village."""
    book = new_workbook()
    sheet = Sheet(book, "村级台账", [w for _n, w in VILLAGE_COLUMNS], frozen_rows=2)
    sheet.title_row(f"{place}村级控辍保学台账（{clock.today():%Y年%m月%d日}）")
    sheet.header([n for n, _w in VILLAGE_COLUMNS])
    for village, lines in sorted(villages.items()):
        for line in lines:
            case, child = line.case, line.case.child
            sheet.row(
                [
                    village,
                    child.name,
                    child.birth_date.strftime("%Y-%m"),
                    child.guardians[0].name if child.guardians else "",
                    "、".join(str(DropoutReason.label_of(r.reason)) for r in case.reason_rows),
                    line.home_visits,
                    str(Stage.label_of(case.stage)),
                ]
            )
    return book


def sign_off_workbook(roster, *, place):
    """The sign-off roster: dropouts, returned, not returned, then the signature lines."""
    book = new_workbook()
    sheet = Sheet(book, "签字确认名册", [6, 12, 14, 24, 18])
    sheet.title_row(f"{place}控辍保学签字确认名册（{roster.since:%Y年%m月%d日}起本学年）")
    for title, cases in (("辍学学生", roster.dropouts), ("已返校", roster.returned), ("未返校", roster.not_returned)):
        sheet.title_row(f"{title}（{len(cases)}人）")
        sheet.header(["序号", "姓名", "自然村", "学校", "去向"])
        for number, case in enumerate(cases, start=1):
            whereabouts = (
                ClosedOutcome.label_of(case.closed_outcome) if case.closed_outcome else Stage.label_of(case.stage)
            )
            sheet.row(
                [
                    number,
                    case.child.name,
                    case.village.name,
                    case.school.name if case.school else "未入学",
                    str(whereabouts),
                ]
            )
    for role in ("村支书", "校长", "乡镇长", "教育局片区负责人", "日期"):
        sheet.row([f"{role}：", "", "", "", ""])
    return book
