"""The one table of who may do what: action → the roles that may do it.

Pure data, read by :mod:`app.scope.permissions` (``may``, ``requires``) and by the object
rules in :mod:`app.scope.services`; docs/privacy.md lists it role by role.
"""

FIELD = frozenset({"grid_worker", "grid_leader"})  # the full-time grid staff
RIDER = frozenset({"part_time"})
OFFICE = frozenset({"secretary", "street", "command"})

PERMISSIONS = {
    # The field: reports, patrols, tasks received, the checklist that binds full-time staff.
    "event.report": FIELD | RIDER,
    "patrol.walk": FIELD | RIDER,
    "tasks.receive": FIELD | RIDER,
    "duties.own": FIELD,
    # Residents' data (人、地、物、组织). Never riders or departments.
    "registry.view": FIELD | OFFICE | {"admin"},
    "registry.browse": OFFICE,  # the registry's desk pages in the navigation
    "registry.edit": FIELD | {"secretary", "admin"},
    "registry.offline": FIELD,  # an offline copy on the phone, through the pull
    "registry.see_tags": FIELD | {"secretary"},
    "registry.reveal": frozenset({"secretary", "admin"}),
    "registry.review": frozenset({"secretary", "admin"}),
    "registry.export": frozenset({"secretary", "admin"}),
    # Events: the grid's events for its staff; inboxes for those who handle them.
    "event.see_grid": FIELD | OFFICE | {"admin"},
    "event.inbox": OFFICE | {"department"},
    "event.command_centre": frozenset({"street", "command", "admin"}),
    # Supervision, tasks and assessment.
    "patrol.supervise": frozenset({"grid_leader"}) | OFFICE | {"admin"},
    "tasks.assign": OFFICE,
    "tasks.oversee": OFFICE | {"admin"},
    "tasks.approve": frozenset({"command"}),
    "duties.assess": OFFICE | {"admin"},
    # The org tree, people and departments.
    "org.grid_list": frozenset({"street", "command"}),
    "users.see_staff": OFFICE,
    "departments.see_all": frozenset({"street", "command"}),
    # Bringing in a phone's saved outbox file (for its author, who must be in scope).
    "sync.ingest": frozenset({"secretary", "admin"}),
    "admin": frozenset({"admin"}),
}
PERMISSIONS = {action: frozenset(roles) for action, roles in PERMISSIONS.items()}
# Actions that change the object they are asked about; the others only look at it.
CHANGES = {"registry.edit", "registry.review", "tasks.approve"}


def roles_for(action):
    """The roles that may do ``action`` (a KeyError names an action missing from the table)."""
    return PERMISSIONS[action]
