"""Enumerations stored as short strings, each with a translatable label."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice


def option(value, label, optgroup=None):
    """One choice of a WTForms select (WTForms 3.3 takes SelectChoice objects, not tuples)."""
    return SelectChoice(value=value, label=label, optgroup=optgroup)


class LabelledChoice(StrEnum):
    """A StrEnum whose members carry a label; subclasses fill ``_labels``."""

    @property
    def label(self):
        return self._labels()[self.value]

    @classmethod
    def _labels(cls):
        return {}

    @classmethod
    def choices(cls):
        """The members as WTForms select choices."""
        return [option(m.value, m.label) for m in cls]

    @classmethod
    def label_of(cls, value):
        try:
            return cls(value).label
        except ValueError:
            return value


class Role(LabelledChoice):
    TEACHER = "teacher"
    VILLAGE_CADRE = "village_cadre"
    SCHOOL_ADMIN = "school_admin"
    TOWNSHIP_OFFICIAL = "township_official"
    COUNTY_REVIEWER = "county_reviewer"
    ADMIN = "admin"

    @classmethod
    def _labels(cls):
        return {
            "teacher": _l("Assigned teacher"),
            "village_cadre": _l("Village cadre"),
            "school_admin": _l("School administrator"),
            "township_official": _l("Township official"),
            "county_reviewer": _l("County reviewer"),
            "admin": _l("System administrator"),
        }

    @property
    def at_school(self):
        return self in (Role.TEACHER, Role.SCHOOL_ADMIN)


class AreaLevel(LabelledChoice):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"

    @classmethod
    def _labels(cls):
        return {
            "province": _l("Province"),
            "city": _l("City"),
            "county": _l("County"),
            "township": _l("Township"),
            "village": _l("Village"),
        }

    @property
    def depth(self):
        return list(AreaLevel).index(self)

    @property
    def child_level(self):
        levels = list(AreaLevel)
        return levels[self.depth + 1] if self.depth + 1 < len(levels) else None


class CaseKind(LabelledChoice):
    SUSPECTED = "suspected"
    AT_RISK = "at_risk"
    DROPPED_OUT = "dropped_out"
    NEVER_ENROLLED = "never_enrolled"

    @classmethod
    def _labels(cls):
        return {
            "suspected": _l("Suspected dropout"),
            "at_risk": _l("At risk"),
            "dropped_out": _l("Dropped out"),
            "never_enrolled": _l("Never enrolled"),
        }


class Stage(LabelledChoice):
    VERIFICATION = "verification"
    SUPPORT = "support"
    SCHOOL_PERSUASION = "school_persuasion"
    TOWNSHIP_PERSUASION = "township_persuasion"
    ADMINISTRATIVE = "administrative"
    JUDICIAL = "judicial"
    RETURNED = "returned"
    PENDING_REVIEW = "pending_review"
    CLOSED = "closed"

    @classmethod
    def _labels(cls):
        return {
            "verification": _l("Verification"),
            "support": _l("Support"),
            "school_persuasion": _l("School persuasion"),
            "township_persuasion": _l("Township persuasion"),
            "administrative": _l("Administrative return"),
            "judicial": _l("Judicial return"),
            "returned": _l("Returned, monitoring"),
            "pending_review": _l("Pending review"),
            "closed": _l("Closed"),
        }

    @property
    def on_ladder(self):
        return self in LADDER_STAGES

    @classmethod
    def first_for(cls, kind):
        """The stage a new case of ``kind`` starts at."""
        return {
            CaseKind.SUSPECTED: cls.VERIFICATION,
            CaseKind.AT_RISK: cls.SUPPORT,
            CaseKind.DROPPED_OUT: cls.SCHOOL_PERSUASION,
            CaseKind.NEVER_ENROLLED: cls.SCHOOL_PERSUASION,
        }[CaseKind(kind)]


#: the return ladder: persuasion by the school and the township, then the administrative and the
#: judicial procedure
LADDER_STAGES = (
    Stage.SCHOOL_PERSUASION,
    Stage.TOWNSHIP_PERSUASION,
    Stage.ADMINISTRATIVE,
    Stage.JUDICIAL,
)
#: stages of a case that is not closed
OPEN_STAGES = tuple(s for s in Stage if s is not Stage.CLOSED)
#: stages in which a written notice is issued, and in which its lapsed deadline calls for the
#: next step
NOTICE_STAGES = (Stage.TOWNSHIP_PERSUASION, Stage.ADMINISTRATIVE)
#: stages whose cases are visited at all (verification, support, ladder, monitoring); nobody is
#: expected to visit a case pending review or closed
VISITED_STAGES = tuple(s for s in Stage if s not in (Stage.PENDING_REVIEW, Stage.CLOSED))


class DropoutReason(LabelledChoice):
    STUDY_AVERSION = "study_aversion"
    LEARNING_DIFFICULTY = "learning_difficulty"
    POVERTY = "poverty"
    WORKING_AWAY = "working_away"
    EARLY_MARRIAGE = "early_marriage"
    ILLNESS = "illness"
    FAMILY_CHANGE = "family_change"
    STUDY_USELESS = "study_useless"
    RELIGION = "religion"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            "study_aversion": _l("Study aversion"),
            "learning_difficulty": _l("Learning difficulty"),
            "poverty": _l("Family poverty"),
            "working_away": _l("Working away"),
            "early_marriage": _l("Early marriage"),
            "illness": _l("Illness or disability"),
            "family_change": _l("Family change"),
            "study_useless": _l('"Study is useless"'),
            "religion": _l("Religious influence"),
            "other": _l("Other"),
        }


class SpecialGroup(LabelledChoice):
    LEFT_BEHIND = "left_behind"
    ORPHAN = "orphan"
    UNSUPPORTED = "unsupported"
    DISABLED = "disabled"
    POVERTY = "poverty"
    MIGRANT = "migrant"
    SINGLE_PARENT = "single_parent"
    LEARNING_DIFFICULTY = "learning_difficulty"
    LEGAL_CASE = "legal_case"

    @classmethod
    def _labels(cls):
        return {
            "left_behind": _l("Left-behind"),
            "orphan": _l("Orphan"),
            "unsupported": _l("De-facto unsupported"),
            "disabled": _l("Disabled"),
            "poverty": _l("Poverty-exited / monitored household"),
            "migrant": _l("Migrant"),
            "single_parent": _l("Single-parent"),
            "learning_difficulty": _l("Learning difficulty"),
            "legal_case": _l("Involved in a legal case"),
        }


#: groups that get the county-level monthly look (每月一看)
COUNTY_LOOK_GROUPS = (SpecialGroup.ORPHAN, SpecialGroup.UNSUPPORTED)


class DisabilityType(LabelledChoice):
    VISUAL = "visual"
    HEARING = "hearing"
    SPEECH = "speech"
    PHYSICAL = "physical"
    INTELLECTUAL = "intellectual"
    MENTAL = "mental"
    MULTIPLE = "multiple"

    @classmethod
    def _labels(cls):
        return {
            "visual": _l("Visual"),
            "hearing": _l("Hearing"),
            "speech": _l("Speech"),
            "physical": _l("Physical"),
            "intellectual": _l("Intellectual"),
            "mental": _l("Mental"),
            "multiple": _l("Multiple"),
        }


class Gender(LabelledChoice):
    MALE = "male"
    FEMALE = "female"

    @classmethod
    def _labels(cls):
        return {"male": _l("Male"), "female": _l("Female")}


class GuardianRelation(LabelledChoice):
    FATHER = "father"
    MOTHER = "mother"
    GRANDPARENT = "grandparent"
    SIBLING = "sibling"
    RELATIVE = "relative"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            "father": _l("Father"),
            "mother": _l("Mother"),
            "grandparent": _l("Grandparent"),
            "sibling": _l("Elder sibling"),
            "relative": _l("Other relative"),
            "other": _l("Other guardian"),
        }


class SchoolKind(LabelledChoice):
    PRIMARY = "primary"
    JUNIOR = "junior"
    NINE_YEAR = "nine_year"
    SPECIAL = "special"

    @classmethod
    def _labels(cls):
        return {
            "primary": _l("Primary school"),
            "junior": _l("Junior secondary school"),
            "nine_year": _l("Nine-year school"),
            "special": _l("Special education school"),
        }

    @property
    def grades(self):
        """The grades the school teaches: a primary school 1–6, a junior secondary school 7–9."""
        if self is SchoolKind.PRIMARY:
            return tuple(Grade)[:6]
        if self is SchoolKind.JUNIOR:
            return tuple(Grade)[6:]
        return tuple(Grade)


class ClosedOutcome(LabelledChoice):
    """How a case ended (DESIGN.md "Closure outcomes"), plus a dismissed suspicion."""

    RETURNED_TO_SCHOOL = "returned_to_school"
    HOME_SCHOOLING = "home_schooling"
    SPECIAL_SCHOOL = "special_school"
    VOCATIONAL_SCHOOL = "vocational_school"
    HEALTH_DEFERRAL = "health_deferral"
    TRANSFERRED_OUT = "transferred_out"
    AGED_OUT = "aged_out"
    DECEASED = "deceased"
    MOVED_ABROAD = "moved_abroad"
    RECORDED_IN_ERROR = "recorded_in_error"
    DISMISSED = "dismissed"

    @classmethod
    def _labels(cls):
        return {
            "returned_to_school": _l("Returned to school"),
            "home_schooling": _l("Home-delivered schooling"),
            "special_school": _l("Special education school"),
            "vocational_school": _l("Vocational school"),
            "health_deferral": _l("Deferred for health"),
            "transferred_out": _l("Transferred out"),
            "aged_out": _l("Aged out"),
            "deceased": _l("Deceased"),
            "moved_abroad": _l("Moved abroad"),
            "recorded_in_error": _l("Recorded in error"),
            "dismissed": _l("Suspicion dismissed"),
        }


class NoticeKind(LabelledChoice):
    """The written notices of the administrative procedure; titles and texts come from the
    county's policy profile."""

    URGE = "urge"
    ORDER = "order"

    @classmethod
    def _labels(cls):
        return {
            "urge": _l("Notice urging return to school (督促复学通知书)"),
            "order": _l("Order to correct within a time limit (责令限期改正通知书)"),
        }


class ServiceMethod(LabelledChoice):
    """The legal ways of serving a notice (送达方式)."""

    DIRECT = "direct"
    LEFT_AT_HOME = "left_at_home"
    BY_POST = "by_post"
    ENTRUSTED = "entrusted"
    PUBLIC = "public"

    @classmethod
    def _labels(cls):
        return {
            "direct": _l("Direct service (直接送达)"),
            "left_at_home": _l("Service by leaving it at the residence (留置送达)"),
            "by_post": _l("Service by post (邮寄送达)"),
            "entrusted": _l("Entrusted service (委托送达)"),
            "public": _l("Service by public announcement (公告送达)"),
        }


class LegalStepKind(LabelledChoice):
    JUDICIAL_ADVICE = "judicial_advice"
    SUPPORT_PROSECUTION = "support_prosecution"
    LAWSUIT = "lawsuit"
    MEDIATION = "mediation"
    JUDGMENT = "judgment"
    ENFORCEMENT = "enforcement"
    REPRIMAND = "reprimand"
    GUIDANCE_ORDER = "guidance_order"
    SUPERVISION_ORDER = "supervision_order"

    @classmethod
    def _labels(cls):
        return {
            "judicial_advice": _l("Judicial advice (司法建议)"),
            "support_prosecution": _l("Procuratorate supports the suit (支持起诉)"),
            "lawsuit": _l("Lawsuit filed (起诉)"),
            "mediation": _l("Mediation (调解)"),
            "judgment": _l("Judgment (判决)"),
            "enforcement": _l("Enforcement (强制执行)"),
            "reprimand": _l("Reprimand (训诫)"),
            "guidance_order": _l("Family education guidance order (家庭教育指导令)"),
            "supervision_order": _l("Guardianship supervision order (督促监护令)"),
        }


class VisitMethod(LabelledChoice):
    """How a visit or contact was made."""

    HOME_VISIT = "home_visit"
    PHONE = "phone"
    VIDEO = "video"
    MEETING_SCHOOL = "meeting_school"
    MEETING_TOWNSHIP = "meeting_township"

    @classmethod
    def _labels(cls):
        return {
            "home_visit": _l("Home visit"),
            "phone": _l("Phone call"),
            "video": _l("Video call"),
            "meeting_school": _l("Meeting at school"),
            "meeting_township": _l("Meeting at the township"),
        }


class VisitOutcome(LabelledChoice):
    """What a visit or contact came to."""

    AGREED_TO_RETURN = "agreed_to_return"
    REFUSED = "refused"
    NOT_AT_HOME = "not_at_home"
    MOVED_AWAY = "moved_away"
    IN_SCHOOL = "in_school"

    @classmethod
    def _labels(cls):
        return {
            "agreed_to_return": _l("Agreed to return"),
            "refused": _l("Refused"),
            "not_at_home": _l("Not at home"),
            "moved_away": _l("Moved away"),
            "in_school": _l("Attending school"),
        }


class Attitude(LabelledChoice):
    """The guardian's attitude to the child's return."""

    SUPPORTIVE = "supportive"
    HESITANT = "hesitant"
    OPPOSED = "opposed"

    @classmethod
    def _labels(cls):
        return {"supportive": _l("Supports the return"), "hesitant": _l("Hesitant"), "opposed": _l("Opposed")}


class Willingness(LabelledChoice):
    """The child's own willingness to return."""

    WILLING = "willing"
    HESITANT = "hesitant"
    UNWILLING = "unwilling"

    @classmethod
    def _labels(cls):
        return {"willing": _l("Willing"), "hesitant": _l("Undecided"), "unwilling": _l("Unwilling")}


class Visitor(LabelledChoice):
    """Who went on a visit, by their part in the case."""

    TEACHER = "teacher"
    CADRE = "cadre"
    SCHOOL_LEADER = "school_leader"
    TOWNSHIP_STAFF = "township_staff"
    COUNTY_STAFF = "county_staff"

    @classmethod
    def _labels(cls):
        return {
            "teacher": _l("Teacher"),
            "cadre": _l("Village cadre"),
            "school_leader": _l("School leader"),
            "township_staff": _l("Township staff"),
            "county_staff": _l("County staff"),
        }


#: the part a user plays on a visit, by their role (ticked in advance when they log one); only
#: these roles go on visits, so only they may have a visit planned for themselves
VISITOR_OF_ROLE = {
    Role.TEACHER: Visitor.TEACHER,
    Role.VILLAGE_CADRE: Visitor.CADRE,
    Role.SCHOOL_ADMIN: Visitor.SCHOOL_LEADER,
    Role.TOWNSHIP_OFFICIAL: Visitor.TOWNSHIP_STAFF,
    Role.COUNTY_REVIEWER: Visitor.COUNTY_STAFF,
}


class Line(LabelledChoice):
    """The two lines that each hold a case (双线控辍): the education line's assigned teacher and
    the government line's village cadre. Each has its own planned visits."""

    TEACHER = "teacher"
    CADRE = "cadre"

    @classmethod
    def _labels(cls):
        return {"teacher": _l("Assigned teacher"), "cadre": _l("Village cadre")}

    @property
    def role(self):
        """The role of the person who holds the line."""
        return Role.TEACHER if self is Line.TEACHER else Role.VILLAGE_CADRE

    @property
    def case_attr(self):
        """The attribute of a case naming the person who holds the line."""
        return f"{self.value}_id"


#: the line a visitor's visit counts for: the education line when the teacher (or a school
#: leader in their place) went, the government line when the village cadre (or township staff)
#: went; a joint visit counts for both
LINE_OF_VISITOR = {
    Visitor.TEACHER: Line.TEACHER,
    Visitor.SCHOOL_LEADER: Line.TEACHER,
    Visitor.CADRE: Line.CADRE,
    Visitor.TOWNSHIP_STAFF: Line.CADRE,
}


class SupportKind(LabelledChoice):
    """Support given alongside persuasion (资助, 辅导, 心理疏导, 寄宿交通, 转介)."""

    FINANCIAL_AID = "financial_aid"
    TUTORING = "tutoring"
    COUNSELLING = "counselling"
    BOARDING_TRANSPORT = "boarding_transport"
    REFERRAL = "referral"

    @classmethod
    def _labels(cls):
        return {
            "financial_aid": _l("Financial aid (资助, 两免一补)"),
            "tutoring": _l("Tutoring"),
            "counselling": _l("Psychological counselling"),
            "boarding_transport": _l("Boarding or transport"),
            "referral": _l("Referral to another department"),
        }


class VisitPurpose(LabelledChoice):
    """Why the scheduler planned a visit (the cadence rule that produced it)."""

    MONTHLY = "monthly"
    LADDER = "ladder"
    MONITORING = "monitoring"
    COUNTY_LOOK = "county_look"
    DEFERRAL_CHECK = "deferral_check"
    MANUAL = "manual"

    @classmethod
    def _labels(cls):
        return {
            "monthly": _l("Monthly home visit"),
            "ladder": _l("Weekly persuasion visit"),
            "monitoring": _l("Weekly attendance check"),
            "county_look": _l("County monthly look"),
            "deferral_check": _l("Visit before the deferral ends"),
            "manual": _l("Planned by hand"),
        }


#: the purposes of the regular visits the cadence plans for each line
REGULAR_PURPOSES = (VisitPurpose.MONTHLY, VisitPurpose.LADDER, VisitPurpose.MONITORING)


class Grade(LabelledChoice):
    """The nine grades of compulsory education, stored as the rosters write them."""

    G1 = "一年级"
    G2 = "二年级"
    G3 = "三年级"
    G4 = "四年级"
    G5 = "五年级"
    G6 = "六年级"
    G7 = "七年级"
    G8 = "八年级"
    G9 = "九年级"

    @classmethod
    def _labels(cls):
        return {
            "一年级": _l("Grade 1"),
            "二年级": _l("Grade 2"),
            "三年级": _l("Grade 3"),
            "四年级": _l("Grade 4"),
            "五年级": _l("Grade 5"),
            "六年级": _l("Grade 6"),
            "七年级": _l("Grade 7"),
            "八年级": _l("Grade 8"),
            "九年级": _l("Grade 9"),
        }

    @property
    def number(self):
        """1 to 9."""
        return list(Grade).index(self) + 1

    @classmethod
    def of_number(cls, number):
        return list(cls)[number - 1]


#: the grades each kind of school teaches (a roster row in another grade is refused)
GRADES_TAUGHT = {
    SchoolKind.PRIMARY: tuple(Grade)[:6],
    SchoolKind.JUNIOR: tuple(Grade)[6:],
    SchoolKind.NINE_YEAR: tuple(Grade),
    SchoolKind.SPECIAL: tuple(Grade),
}


class CaseSource(LabelledChoice):
    """How a case was found (DOMAIN.md "Finding cases"); a case registered by hand has none."""

    HOUSEHOLD_MATCHING = "household_matching"
    ROSTER_LEFT = "roster_left"
    PUSHED_LIST = "pushed_list"
    ABSENCES = "absences"

    @classmethod
    def _labels(cls):
        return {
            "household_matching": _l("Household register matching (户籍比对)"),
            "roster_left": _l("Left the school roster (学籍比对)"),
            "pushed_list": _l("Pushed list of suspected dropouts"),
            "absences": _l("Absence report"),
        }


class ImportKind(LabelledChoice):
    """What an imported file holds: a school roster, or one of the lists it is compared with."""

    ROSTER = "roster"
    HOUSEHOLD = "household"
    POVERTY = "poverty"
    PUSHED = "pushed"

    @classmethod
    def _labels(cls):
        return {
            "roster": _l("School roster (学籍)"),
            "household": _l("Household register of school-age children (户籍)"),
            "poverty": _l("Poverty-monitoring list"),
            "pushed": _l("Pushed list of suspected dropouts"),
        }


class ImportStatus(LabelledChoice):
    WAITING_CHECK = "waiting_check"
    CHECKING = "checking"
    NEEDS_MAPPING = "needs_mapping"
    READY = "ready"
    WAITING = "waiting"
    APPLYING = "applying"
    DONE = "done"
    FAILED = "failed"

    @classmethod
    def _labels(cls):
        return {
            "waiting_check": _l("Waiting to be checked"),
            "checking": _l("Being checked"),
            "needs_mapping": _l("Columns to match"),
            "ready": _l("Checked, waiting for confirmation"),
            "waiting": _l("Confirmed, waiting to be imported"),
            "applying": _l("Being imported"),
            "done": _l("Imported"),
            "failed": _l("Failed"),
        }


class EnrolmentStatus(LabelledChoice):
    ENROLLED = "enrolled"
    LEFT = "left"

    @classmethod
    def _labels(cls):
        return {"enrolled": _l("Enrolled"), "left": _l("Left the roster")}


class AbsenceReason(LabelledChoice):
    ILLNESS = "illness"
    LEAVE = "leave"
    UNKNOWN = "unknown"

    @classmethod
    def _labels(cls):
        return {"illness": _l("Illness"), "leave": _l("Approved leave"), "unknown": _l("Unknown")}


class ContactTaskKind(LabelledChoice):
    """What an absence asks of the teacher."""

    CONTACT_FAMILY = "contact_family"
    OPEN_CASE_BY_HAND = "open_case_by_hand"

    @classmethod
    def _labels(cls):
        return {
            "contact_family": _l("Contact the family about an absence"),
            "open_case_by_hand": _l("Register a suspected dropout by hand (household village unknown)"),
        }


class CaseFlag(LabelledChoice):
    """Work that is late or waiting on a case: each is one named condition (the case list's
    ``flag`` parameter, the dashboard's figures and the jobs use the same definition)."""

    OVERDUE_VISIT = "overdue_visit"
    NO_TEACHER = "no_teacher"
    NO_CADRE = "no_cadre"
    LAPSED_NOTICE = "lapsed_notice"
    PAST_LIMIT = "past_limit"
    STALE = "stale"
    INCOMING_TRANSFER = "incoming_transfer"
    OUTGOING_TRANSFER = "outgoing_transfer"

    @classmethod
    def _labels(cls):
        return {
            "overdue_visit": _l("Visit overdue"),
            "no_teacher": _l("No assigned teacher"),
            "no_cadre": _l("No village cadre"),
            "lapsed_notice": _l("Notice deadline lapsed, next step not taken"),
            "past_limit": _l("Past the stage's time limit"),
            "stale": _l("Stale: no contact within the time allowed"),
            "incoming_transfer": _l("Transfer waiting for our decision"),
            "outgoing_transfer": _l("Transfer waiting for the receiving side"),
        }
