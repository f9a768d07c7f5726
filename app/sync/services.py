"""The sync engine's server side: idempotent push and pull-since-cursor.

Push: each mutation carries a UUID made on the phone. The first time it is applied, its answer
is stored with a hash of its content; a replay returns that answer as "duplicate"; the same id
with different content is a "conflict". Each mutation commits on its own, so one bad record
never holds back the rest of a batch.

Pull: every change to a pulled object appends a row to sync_change. A client asks for rows
after its cursor that its scope may see; deletions come as tombstones.
"""
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, or_
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import ChangeLog, Mutation

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
MAX_BATCH = 100
# Rows younger than this are sent again on the next pull: a transaction that took its
# sequence number earlier but committed later is then still seen.
PULL_SETTLE = timedelta(seconds=5)

_handlers = {}
_pullers = {}


class Rejected(Exception):
    """Field errors: the phone shows the record as 'needs fixing'."""

    def __init__(self, errors, code="invalid"):
        super().__init__(code)
        self.errors, self.code = errors, code


class Conflict(Exception):
    """The record already exists under another mutation."""


class Forbidden(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def handler(kind):
    """Register ``fn(user, mutation) -> dict`` to apply mutations of ``kind``."""
    def register(fn):
        _handlers[kind] = fn
        return fn
    return register


def puller(object_type):
    """Register a puller: ``visible(scope, user) -> SQL clause`` and ``load(ids, user) -> dict``."""
    def register(cls):
        _pullers[object_type] = cls
        return cls
    return register


def log_change(object_type, object_id, *, grid_id=None, owner_id=None, op="upsert"):
    db.session.add(ChangeLog(object_type=object_type, object_id=str(object_id), grid_id=grid_id,
                             owner_id=owner_id, op=op))


def payload_hash(mutation: dict) -> str:
    content = {k: mutation.get(k) for k in ("kind", "record_id", "base_version", "data")}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def envelope_errors(m) -> dict:
    """Problems with a mutation's envelope (not its fields)."""
    if not isinstance(m, dict):
        return {"_": [str(_l("每条变更必须是一个对象"))]}
    errors = {}
    if not isinstance(m.get("id"), str) or not UUID_RE.match(m["id"]):
        errors["id"] = [str(_l("变更编号必须是 UUID"))]
    if not isinstance(m.get("record_id"), str) or not UUID_RE.match(m["record_id"]):
        errors["record_id"] = [str(_l("记录编号必须是 UUID"))]
    if m.get("kind") not in _handlers:
        errors["kind"] = [str(_l("未知的变更类型"))]
    if not isinstance(m.get("data"), dict):
        errors["data"] = [str(_l("data 必须是一个对象"))]
    if not isinstance(m.get("author_id"), int) or isinstance(m.get("author_id"), bool):
        errors["author_id"] = [str(_l("缺少作者"))]
    return errors


def _replay(existing: Mutation, user, digest):
    if existing.user_id == user.id and existing.payload_sha256 == digest:
        return {**existing.response, "id": existing.id, "status": "duplicate"}
    return {"id": existing.id, "status": "conflict",
            "message": str(_l("该编号已用于另一条内容不同的记录"))}


def apply_mutation(user, m) -> dict:
    """Apply one mutation for ``user`` and answer for it. Commits or rolls back by itself."""
    errors = envelope_errors(m)
    mutation_id = m.get("id") if isinstance(m, dict) else None
    if errors:
        return {"id": mutation_id, "status": "rejected", "code": "bad_envelope", "errors": errors}
    if m["author_id"] != user.id:
        # Made on this phone by someone else: keep it on the phone until they sign in.
        return {"id": mutation_id, "status": "forbidden", "code": "other_author",
                "message": str(_l("这条记录属于另一位用户，请该用户登录后同步"))}
    digest = payload_hash(m)
    existing = db.session.get(Mutation, mutation_id)
    if existing is not None:
        return _replay(existing, user, digest)
    try:
        result = _handlers[m["kind"]](user, m)
        response = {"status": "applied", **result}
        db.session.add(Mutation(id=mutation_id, user_id=user.id, kind=m["kind"],
                                record_id=m["record_id"], payload_sha256=digest,
                                response=response))
        db.session.commit()
        return {"id": mutation_id, **response}
    except Rejected as exc:
        db.session.rollback()
        return {"id": mutation_id, "status": "rejected", "code": exc.code, "errors": exc.errors}
    except Forbidden as exc:
        db.session.rollback()
        return {"id": mutation_id, "status": "forbidden", "code": "role",
                "message": str(exc.message)}
    except (Conflict, IntegrityError):
        # A concurrent push of the same mutation won the race, or the record id is taken.
        db.session.rollback()
        existing = db.session.get(Mutation, mutation_id)
        if existing is not None:
            return _replay(existing, user, digest)
        return {"id": mutation_id, "status": "conflict",
                "message": str(_l("该记录编号已存在"))}


def push(user, mutations) -> list:
    session = db.session()
    previous = session.expire_on_commit
    # Each mutation commits on its own; the user, their roles and the catalogue do not change
    # within one batch, so there is no need to reload them after every commit.
    session.expire_on_commit = False
    try:
        return [apply_mutation(user, m) for m in mutations]
    finally:
        session.expire_on_commit = previous


def pull(user, cursor: int, limit: int = 500) -> dict:
    from ..scope.services import scope_for

    scope = scope_for(user)
    clauses = [and_(ChangeLog.object_type == t, p.visible(scope, user)) for t, p in _pullers.items()]
    rows = (
        ChangeLog.query.filter(ChangeLog.seq > cursor, or_(*clauses) if clauses else false())
        .order_by(ChangeLog.seq).limit(limit + 1).all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    settled_before = datetime.now(UTC).replace(tzinfo=None) - PULL_SETTLE
    next_cursor = cursor
    for row in rows:
        if row.at > settled_before:
            break
        next_cursor = row.seq
    latest = {}
    for row in rows:
        latest[(row.object_type, row.object_id)] = row.op
    changes = []
    by_type = {}
    for (object_type, object_id), op in latest.items():
        by_type.setdefault(object_type, []).append((object_id, op))
    for object_type, items in by_type.items():
        loaded = _pullers[object_type].load([i for i, op in items if op == "upsert"], user)
        for object_id, op in items:
            data = loaded.get(object_id) if op == "upsert" else None
            if data is None:
                changes.append({"type": object_type, "id": object_id, "op": "delete"})
            else:
                changes.append({"type": object_type, "id": object_id, "op": "upsert", "data": data})
    if more:
        next_cursor = max(next_cursor, rows[-1].seq) if rows else next_cursor
    return {"changes": changes, "cursor": next_cursor, "more": more}
