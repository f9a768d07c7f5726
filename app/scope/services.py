"""The one authorization service: may user U see / change object O.

Every page and API asks here. A user who may not see an object gets 404 (its existence is
not confirmed); one who may see but not change it gets 403. Rules per object kind are
registered with :func:`rule`, so later features add their kinds without touching callers.
"""
from flask import abort, g, has_request_context
from sqlalchemy import false, or_, true

from ..extensions import db
from ..org.models import Department, Grid, OrgUnit
from .table import roles_for

VIEW, CHANGE = "view", "change"
_rules = {}


def rule(model):
    """Register ``fn(user, obj, action) -> bool`` as the rule for ``model``."""
    def register(fn):
        _rules[model] = fn
        return fn
    return register


class Scope:
    """What a user's role assignments cover, computed once per request."""

    def __init__(self, user):
        self.user = user
        self.roles = user.roles if user and user.is_authenticated else set()
        self.is_admin = "admin" in self.roles
        self.grid_ids, self.unit_ids, self.department_ids = set(), set(), set()
        if not self.roles:
            return
        for a in user.assignments:
            if a.grid_id:
                self.grid_ids.add(a.grid_id)
            if a.org_unit_id:
                self.unit_ids.add(a.org_unit_id)
            if a.department_id:
                self.department_ids.add(a.department_id)
        self._visible_grids = None

    def grid_clause(self, column=Grid.id):
        """A SQL condition on a grid-id column: true for grids inside this scope."""
        if self.is_admin:
            return true()
        ids = self.visible_grid_ids()
        return column.in_(ids) if ids else false()

    def visible_grid_ids(self):
        """Ids of every grid this user covers (None for admin: everything)."""
        if self.is_admin:
            return None
        if self._visible_grids is None:
            if not self.grid_ids and not self.unit_ids:
                self._visible_grids = set()
            else:
                conditions = []
                if self.grid_ids:
                    conditions.append(Grid.id.in_(self.grid_ids))
                if self.unit_ids:
                    conditions += [
                        Grid.community_id.in_(self.unit_ids),
                        Grid.street_id.in_(self.unit_ids),
                        Grid.district_id.in_(self.unit_ids),
                    ]
                rows = db.session.execute(db.select(Grid.id).where(or_(*conditions)))
                self._visible_grids = {row[0] for row in rows}
        return self._visible_grids

    def covers_grid(self, grid_id):
        return self.is_admin or grid_id in self.visible_grid_ids()

    def covers_unit(self, unit_id):
        """Is the org unit (a community, say) inside a unit this user is assigned to?"""
        if self.is_admin:
            return True
        if not hasattr(self, "_units_below"):
            self._units_below = subtree_unit_ids(self.unit_ids) if self.unit_ids else set()
        return unit_id in self._units_below

    def anchor_units(self):
        """Org units the user is placed in: assigned units and the communities of assigned grids."""
        units = set(self.unit_ids)
        if self.grid_ids:
            rows = db.session.execute(
                db.select(Grid.community_id).where(Grid.id.in_(self.grid_ids))
            )
            units.update(row[0] for row in rows)
        return units


def scope_for(user):
    """The scope of ``user``, cached on the request for the signed-in user."""
    if not has_request_context():
        return Scope(user)
    cache = g.setdefault("_scopes", {})
    key = getattr(user, "id", None)
    if key not in cache:
        cache[key] = Scope(user)
    return cache[key]


def can(user, action, obj) -> bool:
    if user is None or not user.is_authenticated or obj is None:
        return False
    fn = _rules.get(type(obj))
    if fn is None:
        return False  # an object kind with no rule is seen by nobody
    return bool(fn(user, obj, action))


def can_view(user, obj):
    return can(user, VIEW, obj)


def can_change(user, obj):
    return can(user, CHANGE, obj)


def get_or_404(user, model, object_id, action=VIEW):
    """Load an object the user may act on: 404 if out of sight, 403 if seen but not changeable."""
    obj = db.session.get(model, object_id)
    if obj is None or not can_view(user, obj):
        abort(404)
    if action == CHANGE and not can_change(user, obj):
        abort(403)
    return obj


# --- rules for the org tree, users and departments -----------------------------------------

def admin_changes(model):
    """A rule for what only the admin changes: the admin may do anything, everyone else may
    look where ``sees(scope, user, obj)`` says, and change nothing."""
    def register(sees):
        def decide(user, obj, action):
            scope = scope_for(user)
            if scope.is_admin:
                return True
            return action == VIEW and bool(sees(scope, user, obj))
        rule(model)(decide)
        return sees
    return register


@admin_changes(Grid)
def _grid_seen(scope, user, grid):
    return scope.covers_grid(grid.id)


@admin_changes(OrgUnit)
def _unit_seen(scope, user, unit):
    chain_ids = {u.id for u in unit.ancestors()}
    if chain_ids & scope.unit_ids:
        return True  # inside a unit the user is assigned to
    # Or an ancestor of where the user works (the worker sees their community and street).
    for anchor_id in scope.anchor_units():
        anchor = db.session.get(OrgUnit, anchor_id)
        if anchor and unit.id in {u.id for u in anchor.ancestors()}:
            return True
    return False


@admin_changes(Department)
def _department_seen(scope, user, department):
    if department.id in scope.department_ids:
        return True
    # Street and command dispatch to departments, so they see the district's departments.
    return bool(scope.roles & roles_for("departments.see_all"))


def _user_seen(scope, user, other):
    if other.id == user.id:
        return True
    if not scope.roles & roles_for("users.see_staff"):
        return False
    # Supervisors see the people who work inside their scope.
    visible = scope.visible_grid_ids()
    for a in other.assignments:
        if a.grid_id and a.grid_id in visible:
            return True
        if a.org_unit_id:
            unit = db.session.get(OrgUnit, a.org_unit_id)
            if unit and {u.id for u in unit.ancestors()} & scope.unit_ids:
                return True
    return False


def subtree_unit_ids(unit_ids):
    """The given units and every unit below them."""
    found, frontier = set(unit_ids), set(unit_ids)
    while frontier:
        rows = db.session.execute(db.select(OrgUnit.id).where(OrgUnit.parent_id.in_(frontier)))
        frontier = {row[0] for row in rows} - found
        found |= frontier
    return found


def register_user_rule():
    from ..auth.models import User

    admin_changes(User)(_user_seen)


def visible_users_query(user):
    """Users the given user may list: admin all; supervisors their scope's people; else self."""
    from ..auth.models import RoleAssignment, User

    scope = scope_for(user)
    query = User.query
    if scope.is_admin:
        return query
    if not scope.roles & roles_for("users.see_staff"):
        return query.filter(User.id == user.id)
    grid_ids = scope.visible_grid_ids()
    sub_units = subtree_unit_ids(scope.unit_ids)
    return query.filter(
        User.assignments.any(
            or_(RoleAssignment.grid_id.in_(grid_ids), RoleAssignment.org_unit_id.in_(sub_units))
        )
    )
