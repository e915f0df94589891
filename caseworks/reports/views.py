"""The dashboard of a school, a township, a county, a city or the province, how its figures are
defined, and the registers of notices, transfers and legal steps."""

from functools import wraps
from urllib.parse import urlencode

from flask import abort, g, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from caseworks.core import permissions
from caseworks.core.choices import LegalStepKind, NoticeKind
from caseworks.core.nav import nav_item
from caseworks.core.numbers import positive_int
from caseworks.core.policy import defaults
from caseworks.reports import charts, queries, registers
from caseworks.reports.blueprint import bp

nav_item("reports.dashboard", _l("Dashboard"), permissions.OVERSEERS, order=5)
nav_item("reports.notices", _l("Registers"), permissions.OVERSEERS, order=40)


def overseers_only(view):
    """Log in first, then oversee a place (403 otherwise)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not permissions.may_see_dashboard(current_user):
            abort(403)
        return view(*args, **kwargs)

    return login_required(wrapper)


def cases_url(figure):
    """The case list that holds exactly the cases a figure counts (the list's path is looked up
    once per request: a dashboard has a few hundred of these links)."""
    base = g.get("_cases_path")
    if base is None:
        base = g._cases_path = url_for("cases.list_cases")
    return f"{base}?{urlencode(figure.args)}"


@bp.app_template_global()
def figure_url(figure):
    return cases_url(figure)


def _bars(figures):
    return [charts.Bar(str(f.label), f.count, cases_url(f)) for f in figures]


@bp.route("/dashboard")
@overseers_only
def dashboard():
    if queries.level_of(current_user) is None:
        abort(403)  # a user without a place to oversee
    board = queries.count_figures(current_user)
    level, place = queries.level_of(current_user)
    trend = queries.trend(level, place)
    dimension_titles = {
        "county": _("Open cases by county"),
        "township": _("Open cases by township"),
        "school": _("Open cases by school"),
        "village": _("Open cases by village"),
    }
    chart = {
        "stage": charts.bar_chart(_bars(board.by_stage), title=_("Open cases by stage")),
        "kind": charts.bar_chart(_bars(board.by_kind), title=_("Open cases by kind")),
        "late": charts.bar_chart(_bars(board.late), title=_("Late work")),
        "closures": charts.bar_chart(_bars(board.closures), title=_("Closed this term, by outcome")),
        "places": [
            charts.bar_chart(
                [charts.Bar(r.name, r.open.count, cases_url(r.open)) for r in b.rows],
                title=dimension_titles[b.dimension],
            )
            for b in board.breakdowns
        ],
        "trend": charts.column_chart(
            [
                charts.Bar(format_date(m.month, "M月" if _is_zh() else "MMM"), m.open_cases, extra=m.returns)
                for m in trend.months
            ],
            title=_("Open cases and returns, last 12 months"),
            legend=(_("Open cases (month end)"), _("Returns in the month")),
        )
        if trend.has_data
        else None,
    }
    return render_template(
        "reports/dashboard.html",
        board=board,
        trend=trend,
        chart=chart,
        dimension_titles=dimension_titles,
        may_review=permissions.may_review(current_user),
    )


def _is_zh():
    from flask_babel import get_locale

    return str(get_locale()).startswith("zh")


@bp.route("/dashboard/definitions")
@overseers_only
def definitions():
    """How each figure is counted, with the county's own limits where there is one county."""
    found = queries.level_of(current_user)
    county_id = getattr(found[1], "county_id", None) if found else None
    from caseworks.core.policy import profile_for

    profile = profile_for(county_id) if county_id else defaults()
    return render_template("reports/definitions.html", profile=profile, one_county=county_id is not None)


# -- registers -----------------------------------------------------------------------------


def _page_arg():
    return positive_int(request.args.get("page"), 1)


@bp.route("/registers/notices")
@overseers_only
def notices():
    status = request.args.get("status", "")
    status = status if status in set(registers.NoticeStatus) else ""
    kind = request.args.get("kind", "")
    kind = kind if kind in set(NoticeKind) else ""
    pagination = registers.notices_page(current_user, _page_arg(), status=status, kind=kind)
    return render_template(
        "reports/notices.html",
        pagination=pagination,
        status=status,
        kind=kind,
        statuses=list(registers.NoticeStatus),
        kinds=list(NoticeKind),
    )


@bp.route("/registers/transfers")
@overseers_only
def transfers():
    return render_template("reports/transfers.html", transfers=registers.transfers_for(current_user, _page_arg()))


@bp.route("/registers/legal-steps")
@overseers_only
def legal_steps():
    kind = request.args.get("kind", "")
    kind = kind if kind in set(LegalStepKind) else ""
    pagination = registers.legal_steps_page(current_user, _page_arg(), kind=kind)
    return render_template("reports/legal_steps.html", pagination=pagination, kind=kind, kinds=list(LegalStepKind))
