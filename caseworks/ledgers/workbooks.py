"""The persuasion ledger (劝返台账) as a workbook: one row per case, and a second sheet with one
row per persuasion attempt, in the columns DOMAIN.md lists and officials hand in."""

from flask_babel import gettext as _

from caseworks.core import clock
from caseworks.core.choices import (
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
