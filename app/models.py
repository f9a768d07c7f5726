"""Imports every model so that Alembic sees them all (rules and handlers register in each
feature's ``register``)."""
from .assist.models import AssistRequest, AssistStep, ConvenienceItem  # noqa: F401
from .audit.models import AuditLog  # noqa: F401
from .auth.models import LoginAttempt, RoleAssignment, User  # noqa: F401
from .duties.models import DutyChecklist, DutyItem  # noqa: F401
from .enterprise.models import EconomicSurvey, RiskScreening, SurveyAnswer  # noqa: F401
from .events.models import Event, EventAction, EventCategory, EventPhoto, EventStage, EventSupport  # noqa: F401
from .events.workcal import HolidayOverride  # noqa: F401
from .hotline.models import HotlineOrder  # noqa: F401
from .indicators.models import IndicatorThreshold  # noqa: F401
from .media.models import Media  # noqa: F401
from .open311.models import ApiKey  # noqa: F401
from .org.models import Department, Grid, OrgUnit  # noqa: F401
from .patrols.models import CheckIn, Patrol, PatrolChunk, PatrolGap  # noqa: F401
from .registry.models import PersonTag, RecordRevision, RegistryRecord, Submission, Visit  # noqa: F401
from .roster.models import ForceMember, force_member_grid  # noqa: F401
from .sync.models import ChangeLog, Mutation  # noqa: F401
from .tasks.models import Task, TaskReport, TaskTarget  # noqa: F401
from .volunteers.models import JoinLink, PartyMember, ReportingUnit, ServiceClaim, ServiceNeed  # noqa: F401
