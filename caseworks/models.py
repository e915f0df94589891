"""Imports every model module, so the metadata holds the whole schema."""

from caseworks.accounts.models import User  # noqa: F401
from caseworks.cases.models import Assignment, Case, CaseReason, Child, ChildGroup, Guardian, PlanItem  # noqa: F401
from caseworks.core.audit import AuditEntry, AuditHead  # noqa: F401
from caseworks.core.policy import PolicyProfile  # noqa: F401
from caseworks.enrolment.models import (  # noqa: F401
    Absence,
    ContactTask,
    Enrolment,
    ImportBatch,
    ImportProgress,
    ListEntry,
)
from caseworks.inbox.models import Message  # noqa: F401
from caseworks.ladder.models import (  # noqa: F401
    ClosureRequest,
    LegalStep,
    Notice,
    NoticeCounter,
    NoticeReceipt,
    StageChange,
    Transfer,
)
from caseworks.places.models import Area, School  # noqa: F401
from caseworks.reports.models import StatsSnapshot  # noqa: F401
from caseworks.review.models import SpotCheck, SpotCheckItem  # noqa: F401
from caseworks.scheduler.models import JobRun  # noqa: F401
from caseworks.visits.models import SupportMeasure, Visit, VisitPhoto  # noqa: F401
