"""The policy profile: a county's durations, thresholds and document names.

Local practice varies (DOMAIN.md), so every number the ladder, the visit cadence and the
scheduler use is read from the profile of the case's county. A county without a profile of its
own uses the defaults below.
"""

from datetime import datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from caseworks.core import clock
from caseworks.extensions import db

DEFAULT_URGE_NOTICE_TEXT = (
    "{guardian}：\n"
    "你的子女（被监护人）{child}，{birth}出生，身份证号{id_number}，系适龄义务教育阶段学生，"
    "现已辍学在家。根据《中华人民共和国义务教育法》第五条、第十一条和《中华人民共和国未成年人保护法》"
    "第十六条的规定，适龄儿童、少年的父母或者其他法定监护人应当依法保证其按时入学接受并完成义务教育。"
    "经学校和乡镇（街道）多次劝返，{child}仍未返校。\n"
    "现督促你于本通知书送达之日起{deadline_days}日内，送{child}到{school}复学。"
    "逾期不送的，将依据《中华人民共和国义务教育法》第五十八条的规定依法处理。"
)

DEFAULT_ORDER_NOTICE_TEXT = (
    "{guardian}：\n"
    "你的子女（被监护人）{child}，{birth}出生，身份证号{id_number}，无正当理由未送其接受义务教育。"
    "本机关已于此前督促复学，你未在期限内改正。根据《中华人民共和国义务教育法》第五十八条的规定，"
    "责令你于本通知书送达之日起{deadline_days}日内改正，送{child}到{school}复学。"
    "逾期仍不改正的，本机关将依法申请人民法院处理。"
)


class PolicyProfile(db.Model):
    __tablename__ = "policy_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("area.id"), unique=True)

    # Visit cadence, in days between planned visits
    visit_interval_days: Mapped[int] = mapped_column(default=30)
    ladder_visit_interval_days: Mapped[int] = mapped_column(default=7)
    monitoring_check_interval_days: Mapped[int] = mapped_column(default=7)
    county_look_interval_days: Mapped[int] = mapped_column(default=30)
    #: the village cadre's own cadence (双线控辍); empty: the same as the teacher's
    cadre_visit_interval_days: Mapped[Optional[int]]
    cadre_ladder_visit_interval_days: Mapped[Optional[int]]
    cadre_monitoring_check_interval_days: Mapped[Optional[int]]
    #: a case with no contact for this many days is flagged stale
    stale_after_days: Mapped[int] = mapped_column(default=30)

    # Ladder guards
    min_persuasion_contacts: Mapped[int] = mapped_column(default=2)
    min_home_visits: Mapped[int] = mapped_column(default=1)
    notice_deadline_days: Mapped[int] = mapped_column(default=15)
    monitoring_days: Mapped[int] = mapped_column(default=30)
    #: longest stay on one stage before the township and county are told
    max_days_school_persuasion: Mapped[int] = mapped_column(default=30)
    max_days_township_persuasion: Mapped[int] = mapped_column(default=30)
    max_days_administrative: Mapped[int] = mapped_column(default=45)
    max_days_judicial: Mapped[int] = mapped_column(default=120)

    # Official notices
    notice_number_prefix: Mapped[str] = mapped_column(String(20), default="义劝通字")
    notice_issuer: Mapped[str] = mapped_column(String(100), default="")
    urge_notice_title: Mapped[str] = mapped_column(String(60), default="督促复学通知书")
    urge_notice_text: Mapped[str] = mapped_column(Text, default=DEFAULT_URGE_NOTICE_TEXT)
    order_notice_title: Mapped[str] = mapped_column(String(60), default="责令限期改正通知书")
    order_notice_text: Mapped[str] = mapped_column(Text, default=DEFAULT_ORDER_NOTICE_TEXT)

    # Review
    spot_check_percent: Mapped[int] = mapped_column(default=10)

    # Finding children (DOMAIN.md "Finding cases")
    #: compulsory-education age: at least this old on the school year's cut-off date...
    school_age_min: Mapped[int] = mapped_column(default=6)
    #: ...and at most this old
    school_age_max: Mapped[int] = mapped_column(default=15)
    #: the cut-off date of the school year (month and day; 31 August): ages are taken on it
    school_year_cutoff_month: Mapped[int] = mapped_column(default=8)
    school_year_cutoff_day: Mapped[int] = mapped_column(default=31)
    #: consecutive school days absent after which the teacher contacts the family
    absence_contact_days: Mapped[int] = mapped_column(default=1)
    #: consecutive school days absent after which a suspected case opens with a joint home visit
    absence_report_days: Mapped[int] = mapped_column(default=3)

    updated_dt: Mapped[Optional[datetime]] = mapped_column(onupdate=clock.now)

    #: the fields an admin edits, in form order
    EDITABLE = (
        "visit_interval_days",
        "ladder_visit_interval_days",
        "monitoring_check_interval_days",
        "cadre_visit_interval_days",
        "cadre_ladder_visit_interval_days",
        "cadre_monitoring_check_interval_days",
        "county_look_interval_days",
        "stale_after_days",
        "min_persuasion_contacts",
        "min_home_visits",
        "notice_deadline_days",
        "monitoring_days",
        "max_days_school_persuasion",
        "max_days_township_persuasion",
        "max_days_administrative",
        "max_days_judicial",
        "notice_number_prefix",
        "notice_issuer",
        "urge_notice_title",
        "urge_notice_text",
        "order_notice_title",
        "order_notice_text",
        "spot_check_percent",
        "school_age_min",
        "school_age_max",
        "school_year_cutoff_month",
        "school_year_cutoff_day",
        "absence_contact_days",
        "absence_report_days",
    )

    def interval_days(self, name, line="teacher"):
        """Days between the regular visits of one kind (``visit``, ``ladder_visit`` or
        ``monitoring_check``) for a line: the cadre's own setting, or the teacher's when it has
        none."""
        if line == "cadre":
            own = getattr(self, f"cadre_{name}_interval_days")
            if own is not None:
                return own
        return getattr(self, f"{name}_interval_days")

    def max_days_on(self, stage):
        return getattr(self, f"max_days_{stage}", None)

    def cutoff_date(self, school_year):
        """The day ages are taken on for the school year starting in ``school_year``."""
        from datetime import date

        return date(school_year, self.school_year_cutoff_month, self.school_year_cutoff_day)

    def birth_range(self, school_year):
        """(earliest, latest) birth dates of school-age children in ``school_year``: at least
        ``school_age_min`` and at most ``school_age_max`` years old on the cut-off date."""
        from datetime import timedelta

        cutoff = self.cutoff_date(school_year)
        latest = _years_before(cutoff, self.school_age_min)
        earliest = _years_before(cutoff, self.school_age_max + 1) + timedelta(days=1)
        return earliest, latest


def _years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def defaults(county_id=None) -> PolicyProfile:
    """A transient profile holding the defaults (not added to the session)."""
    profile = PolicyProfile(county_id=county_id)
    for column in PolicyProfile.__table__.columns:
        if column.default is not None and getattr(profile, column.key) is None:
            arg = column.default.arg
            if not callable(arg):
                setattr(profile, column.key, arg)
    return profile


def profile_for(county_id) -> PolicyProfile:
    """The county's profile, or the defaults if it has none yet."""
    profile = db.session.scalar(select(PolicyProfile).where(PolicyProfile.county_id == county_id))
    return profile if profile is not None else defaults(county_id)


def profiles_by_county(county_ids) -> dict:
    """Profiles for many counties in one query (for jobs), defaults filled in."""
    ids = set(county_ids)
    found = {p.county_id: p for p in db.session.scalars(select(PolicyProfile).where(PolicyProfile.county_id.in_(ids)))}
    return {cid: found.get(cid) or defaults(cid) for cid in ids}


def update_profile(county, data, by):
    """Save a county's policy profile (creating it from the defaults the first time); the
    change is audited field by field. Placeholders in the notice texts must stay known ones."""
    from caseworks.core import audit

    profile = db.session.scalar(select(PolicyProfile).where(PolicyProfile.county_id == county.id))
    if profile is None:
        profile = defaults(county.id)
        db.session.add(profile)
    before = {name: getattr(profile, name) for name in PolicyProfile.EDITABLE}
    for name in PolicyProfile.EDITABLE:
        setattr(profile, name, data[name])
    profile.updated_dt = clock.now()
    db.session.flush()
    diff = audit.changes(before, {name: getattr(profile, name) for name in PolicyProfile.EDITABLE})
    if diff["after"]:
        audit.record(
            "change", f"policy profile of {county.name} changed", module="places", actor=by, target=profile, data=diff
        )
    return profile


#: placeholders a notice text may use, filled from the case when the notice is printed
NOTICE_PLACEHOLDERS = ("guardian", "child", "birth", "id_number", "deadline_days", "school")


def notice_text_problem(text):
    """Why ``text`` cannot be a notice text (a message), or None. Only the documented
    placeholders, written plainly as ``{child}``: a format (``{child:>20000000}``), a
    conversion (``{child!r}``), an attribute or an index would fail or blow up every notice."""
    import string

    from flask_babel import lazy_gettext as _l

    try:
        parts = list(string.Formatter().parse(text or ""))
    except ValueError:
        return _l("A brace { or } is unmatched.")
    unknown = sorted({name for _t, name, _s, _c in parts if name is not None and name not in NOTICE_PLACEHOLDERS})
    if unknown:
        return _l(
            "Unknown placeholder: %(names)s. Known: %(known)s.",
            names=", ".join(unknown) or "{}",
            known=", ".join(NOTICE_PLACEHOLDERS),
        )
    if any(name is not None and (spec or conversion) for _t, name, spec, conversion in parts):
        return _l("Write placeholders plainly, like {child}: without a colon or an exclamation mark.")
    return None


#: what each placeholder becomes, for the people who write the texts
NOTICE_PLACEHOLDER_LABELS = {
    "guardian": _l("the guardian's name (the notice's recipient)"),
    "child": _l("the child's name"),
    "birth": _l("the child's date of birth"),
    "id_number": _l("the child's resident ID number"),
    "deadline_days": _l("the deadline, in days from serving"),
    "school": _l("the child's school"),
}
