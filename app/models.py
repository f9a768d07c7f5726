"""Imports every model so that Alembic and the scope service see them all."""
from .audit.models import AuditLog  # noqa: F401
from .auth.models import LoginAttempt, RoleAssignment, User  # noqa: F401
from .duties.models import DutyChecklist, DutyItem  # noqa: F401
from .events import scope as _event_scope  # noqa: F401  (registers the event scope rule)
from .events.models import Event, EventAction, EventCategory, EventPhoto  # noqa: F401
from .events.workcal import HolidayOverride  # noqa: F401
from .media.models import Media  # noqa: F401
from .org.models import Department, Grid, OrgUnit  # noqa: F401
from .patrols import services as _patrol_services  # noqa: F401,E402  (scope rule, sync handlers)
from .patrols.models import CheckIn, Patrol, PatrolChunk, PatrolGap  # noqa: F401
from .registry import services as _registry_services  # noqa: F401,E402  (scope rule, sync handlers)
from .registry.models import PersonTag, RecordRevision, RegistryRecord, Submission, Visit  # noqa: F401
from .scope.services import register_user_rule
from .sync.models import ChangeLog, Mutation  # noqa: F401
from .tasks import services as _task_services  # noqa: F401,E402  (scope rule, sync handler)
from .tasks.models import Task, TaskReport, TaskTarget  # noqa: F401

register_user_rule()
