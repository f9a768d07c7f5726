"""The one table of who may do what: action → the roles that may do it.

Pure data, read by :mod:`app.scope.permissions` (``may``, ``requires``) and by the object
rules in :mod:`app.scope.services`; docs/privacy.md lists it role by role.
"""

FIELD = frozenset({"grid_worker", "grid_leader"})  # the full-time grid staff
RIDER = frozenset({"part_time"})
OFFICE = frozenset({"secretary", "street", "command"})
OFFICER = frozenset({"officer"})  # an exclusive grid's enterprise service officer
FORCE = frozenset({"force"})  # police, doctors, lawyers … called to an event like a department
MEMBER = frozenset({"member"})  # party members reporting to a community: no residents' data
KEEPERS = frozenset({"secretary", "street", "admin"})  # who keep the grid's roster

PERMISSIONS = {
    # The field: reports, patrols, tasks received, the checklist that binds full-time staff.
    "event.report": FIELD | RIDER | OFFICER,
    "patrol.walk": FIELD | RIDER | OFFICER,
    "tasks.receive": FIELD | RIDER | OFFICER,
    "duties.own": FIELD | OFFICER,  # an exclusive grid's officer is its worker (企业走访 names them)
    # Residents' data (人、地、物、组织). Never riders, members, forces or departments.
    "registry.view": FIELD | OFFICE | OFFICER | {"admin"},
    "registry.browse": OFFICE,  # the registry's desk pages in the navigation
    "registry.edit": FIELD | OFFICER | {"secretary", "admin"},
    "registry.offline": FIELD | OFFICER,  # an offline copy on the phone, through the pull
    "registry.see_tags": FIELD | {"secretary"},
    "registry.reveal": frozenset({"secretary", "admin"}),
    "registry.review": frozenset({"secretary", "admin"}),
    "registry.export": frozenset({"secretary", "admin"}),
    # Events: the grid's events for its staff; inboxes for those who handle them.
    "event.see_grid": FIELD | OFFICE | OFFICER | {"admin"},
    "event.inbox": OFFICE | FORCE | {"department"},
    "event.command_centre": frozenset({"street", "command", "admin"}),
    "event.duplicates": OFFICE,  # proposed merges of reports of one problem
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
    # The grid's forces (2+1+N+X): listed on the grid page, kept by the community and the street.
    "roster.view": FIELD | OFFICE | OFFICER | {"admin"},
    "roster.keep": KEEPERS,
    # 帮办代办: requests a worker makes for a resident; the catalogue of convenience items.
    "assist.help": FIELD,
    "assist.oversee": OFFICE | {"admin"},
    "assist.catalogue": frozenset({"admin"}),
    # 双报到: units (registered by the street or admin), members (approved by the secretary),
    # the community's service needs and the service done.
    "volunteer.serve": MEMBER,
    "volunteer.keep": KEEPERS,
    "volunteer.units": frozenset({"street", "admin"}),
    "volunteer.hours": OFFICE | {"admin"},
    # Enterprise service in exclusive grids.
    "enterprise.serve": OFFICER,
    "enterprise.oversee": frozenset({"street", "command", "admin"}),
    "enterprise.surveys": frozenset({"street", "admin"}),
    # 12345 hotline orders: brought in from a file, seen apart, called back before closing.
    "hotline.intake": frozenset({"street", "command", "admin"}),
    "hotline.view": OFFICE | {"admin"},
    "hotline.callback": OFFICE,
    # The indicators cities are judged by (GB/T 30428.4), and their thresholds.
    "indicators.view": OFFICE | {"admin"},
    "indicators.thresholds": frozenset({"command", "admin"}),
    "admin": frozenset({"admin"}),
}
PERMISSIONS = {action: frozenset(roles) for action, roles in PERMISSIONS.items()}
# Actions that change the object they are asked about; the others only look at it.
CHANGES = {"registry.edit", "registry.review", "tasks.approve"}


def roles_for(action):
    """The roles that may do ``action`` (a KeyError names an action missing from the table)."""
    return PERMISSIONS[action]
