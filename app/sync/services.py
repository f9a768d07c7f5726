"""The sync engine's server side: idempotent push and pull-since-cursor.

Push: each mutation carries a UUID made on the phone. Its envelope and data are checked against
the kind's schema (``schema.py``) before any handler runs. A batch is applied in one transaction
with one savepoint per mutation, so one bad mutation is answered on its own and the rest go on,
and the batch costs one commit (one fsync). The first time a mutation is applied, its answer is
stored with a hash of its content; a replay returns that answer as "duplicate"; the same id with
different content is a "conflict". Answers leave only after the commit: a crash before it loses
nothing, since the phone still holds every record it has not been told is stored.

Pull: every change to a pulled object appends a row to sync_change. A client asks for rows
after its cursor that its scope may see; deletions come as tombstones. The cursor never passes
a row that a transaction still open could precede.
"""
import contextlib
import hashlib
import hmac
import json
import logging
import threading
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, false, insert, or_, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.attributes import set_committed_value

from .. import clock
from ..audit import services as audit
from ..errors import Conflict, Forbidden, Rejected  # noqa: F401  (one owner: app/errors.py)
from ..extensions import db
from . import schema
from .models import ChangeLog, Mutation

log = logging.getLogger(__name__)

MAX_BATCH = 100
# Rows younger than this are sent again on the next pull: a transaction that took its
# sequence number earlier but committed later is then still seen.
PULL_SETTLE = timedelta(seconds=5)
MAX_CURSOR = 2**63 - 1

_handlers = {}
_pullers = {}


class CommitFailed(Exception):
    """The batch's one commit failed: nothing in it is stored, the phone sends it again."""


class TransactionLost(Exception):
    """A handler ended the batch's transaction: the batch is answered as not stored."""


def handler(kind):
    """Register ``fn(user, mutation) -> dict`` to apply mutations of ``kind``."""
    def register(fn):
        _handlers[kind] = fn
        return fn
    return register


def record_handler(kind, apply, answer=lambda row: {"record_id": row.id}):
    """Register a handler for ``kind`` whose service is ``apply(user, record_id, data,
    created_at)``: the phone's record id, its data and when it was made; ``answer(row)`` is what
    the phone is told."""
    @handler(kind)
    def run(user, mutation):
        return answer(apply(user, mutation["record_id"], mutation["data"], mutation.get("created_at")))
    return run


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
    """A keyed hash of what makes a mutation what it is. Keyed, because the data may hold a
    full ID number: a plain hash in a database copy would confirm a guessed number. Only
    called on schema-checked mutations, whose text is valid UTF-8 and whose numbers are finite."""
    content = {k: mutation.get(k) for k in ("kind", "record_id", "base_version", "data")}
    plain = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False,
                                      separators=(",", ":")).encode()).hexdigest()
    # HMAC of the plain digest under a key derived from DATA_KEY (migration 0014 turned the
    # plain digests stored before into these).
    key = hashlib.sha256(b"gridwalk-ledger:" + current_app.config["DATA_KEY"].encode()).digest()
    return hmac.new(key, plain.encode(), hashlib.sha256).hexdigest()


def echo_id(m):
    """The mutation id to answer with: what was sent, when it is a plain short string."""
    value = m.get("id") if isinstance(m, dict) else None
    return value if isinstance(value, str) and len(value) <= 64 and not schema.json_tree_errors(
        value) else None


def _replay(existing: Mutation, user, digest):
    if existing.user_id == user.id and existing.payload_sha256 == digest:
        return {**existing.response, "id": existing.id, "status": "duplicate"}
    return {"id": existing.id, "status": "conflict", "code": "id_reused",
            "message": str(_l("该编号已用于另一条内容不同的记录"))}


def check_mutation(user, m):
    """The answer for a mutation that must not reach its handler, or None when it may."""
    code, errors = schema.mutation_errors(m)
    if errors:
        return {"id": echo_id(m), "status": "rejected", "code": code, "errors": errors}
    if m["author_id"] != user.id:
        # Made on this phone by someone else: keep it on the phone until they sign in.
        return {"id": m["id"], "status": "forbidden", "code": "other_author",
                "message": str(_l("这条记录属于另一位用户，请该用户登录后同步"))}
    return None


def _unless_applied_meanwhile(user, m, digest, answer):
    """A refusal may come from the mutation's own first application, committed by a concurrent
    request (a phone that resent a batch whose reply was lost): then it is a duplicate."""
    existing = db.session.get(Mutation, m["id"])
    return _replay(existing, user, digest) if existing is not None else answer


@contextlib.contextmanager
def _savepoint_keeping_durable_audit():
    """A savepoint whose durable audit rows (lookups that must count even when the mutation is
    refused) are written again after a rollback."""
    audit.take_durable()
    try:
        with db.session.begin_nested():
            yield
    except BaseException:
        audit.restore_durable(audit.take_durable())
        raise
    audit.take_durable()


def _apply_in_savepoint(user, m, digest) -> dict:
    """Run the handler and write the ledger row inside a savepoint: on any failure only this
    mutation's writes are undone."""
    mutation_id = m["id"]
    session = db.session
    try:
        with _savepoint_keeping_durable_audit():
            result = _handlers[m["kind"]](user, m)
            response = {"status": "applied", **result}
            session.add(Mutation(id=mutation_id, user_id=user.id, kind=m["kind"],
                                 record_id=m["record_id"], payload_sha256=digest,
                                 response=response))
        return {"id": mutation_id, **response}
    except Rejected as exc:
        return _unless_applied_meanwhile(user, m, digest, {
            "id": mutation_id, "status": "rejected", "code": exc.code, "errors": exc.errors})
    except Forbidden as exc:
        return _unless_applied_meanwhile(user, m, digest, {
            "id": mutation_id, "status": "forbidden", "code": "role", "message": str(exc.message)})
    except (Conflict, IntegrityError):
        # A concurrent push of the same mutation won the race, or the record id is taken.
        existing = session.get(Mutation, mutation_id)
        if existing is not None:
            return _replay(existing, user, digest)
        return {"id": mutation_id, "status": "conflict", "code": "record_exists",
                "message": str(_l("该记录编号已存在"))}
    except Exception:  # noqa: BLE001 - one mutation's bug must not jam the batch
        log.exception("sync: %s mutation %s failed; answered retry", m["kind"], mutation_id)
        return {"id": mutation_id, "status": "retry", "code": "server_error",
                "message": str(_l("服务器暂时无法处理这条记录，稍后会自动重试"))}


# SQLite has one writer at a time, and its busy handler polls: threads of one process that
# wait for the write lock that way can starve one another past the busy timeout. They queue on
# this lock instead; other processes still meet at SQLite's lock.
_sqlite_writer = threading.Lock()


def _is_sqlite():
    return db.session.get_bind().dialect.name == "sqlite"


def _begin_write():
    """SQLite: take the write lock before the first savepoint. The driver opens no transaction
    for a SAVEPOINT, and releasing one that opened the transaction would commit it alone."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def apply_batch(user, mutations) -> list:
    """Apply mutations for ``user`` in one transaction and answer for each, in order.
    Does not commit."""
    results: list = [None] * len(mutations)
    pending = []
    for i, m in enumerate(mutations):
        results[i] = check_mutation(user, m)
        if results[i] is None:
            pending.append(i)
    if not pending:
        return results
    _begin_write()  # before the ledger is read: on SQLite no other writer can slip in after it
    ids = {mutations[i]["id"] for i in pending}
    ledger = {row.id: row for row in Mutation.query.filter(Mutation.id.in_(ids))}
    batch_transaction = db.session().get_transaction()
    run: list[tuple[int, dict, str]] = []  # consecutive mutations of a staged kind, written together

    def remember(i, digest):
        if results[i]["status"] == "applied":
            ledger[mutations[i]["id"]] = Mutation(
                id=mutations[i]["id"], user_id=user.id, payload_sha256=digest,
                response={k: v for k, v in results[i].items() if k != "id"})

    def write_run():
        _write_staged(user, run, results)
        for i, _m, digest in run:
            remember(i, digest)
        run.clear()

    for i in pending:
        m = mutations[i]
        digest = payload_hash(m)
        existing = ledger.get(m["id"])  # stored before, or earlier in this batch
        if existing is not None:
            write_run()
            results[i] = _replay(existing, user, digest)
        elif m["kind"] in _stagers and m["id"] not in {r[1]["id"] for r in run}:
            run.append((i, m, digest))
        else:
            write_run()
            results[i] = _apply_in_savepoint(user, m, digest)
            remember(i, digest)
        if db.session().get_transaction() is not batch_transaction:
            # Something ended the batch's transaction (a rollback or commit where none belongs):
            # what was answered 'applied' before may be gone. Answer nothing as stored.
            raise TransactionLost()
    write_run()
    if db.session().get_transaction() is not batch_transaction:
        raise TransactionLost()
    return results


# --- staged kinds: a run of them is written with one INSERT per table -------------------------

class Staged:
    """What a mutation will write: new rows (``(model, values)``, parents first), running totals
    on a row it belongs to (``totals = (row, {column: amount to add}, {column: at least})``),
    and its answer. A run's totals are added up per row and written in one UPDATE each."""

    def __init__(self, rows, result, totals=None):
        self.rows, self.result, self.totals = rows, result, totals

    def apply_alone(self):
        """Write this mutation through the ORM (a mutation applied on its own)."""
        for model, values in self.rows:
            db.session.add(model(**values))
        db.session.flush()
        if self.totals:
            _write_totals([self.totals])
        return self.result


def _write_totals(totals):
    """Add running totals to their rows: one UPDATE per row, whatever the number of pieces."""
    merged = {}
    for row, add, at_least in totals:
        _row, adds, floors = merged.setdefault(id(row), (row, {}, {}))
        for column, amount in add.items():
            adds[column] = adds.get(column, 0) + amount
        for column, value in at_least.items():
            floors[column] = max(floors.get(column, value), value)
    for row, adds, floors in merged.values():
        model = type(row)
        values = {c: getattr(model, c) + amount for c, amount in adds.items()}
        values.update({c: case((getattr(model, c) < v, v), else_=getattr(model, c))
                       for c, v in floors.items()})
        db.session.execute(update(model).where(model.id == row.id).values(**values)
                           .execution_options(synchronize_session=False))
        # The row in memory learns the same totals without being marked changed.
        for column, amount in adds.items():
            set_committed_value(row, column, getattr(row, column) + amount)
        for column, value in floors.items():
            set_committed_value(row, column, max(getattr(row, column), value))


_stagers = {}


def stager(kind):
    """Register ``fn(user, mutation) -> Staged | None`` for a kind that mostly inserts new rows.
    The function checks everything (raising Rejected or Forbidden) and writes nothing; the
    engine writes a run of such mutations in one savepoint, one multi-row INSERT per table.
    ``None`` sends the mutation to the kind's handler (registered as usual), which is also what
    applies it when a run has to be sorted out one by one."""
    def register(fn):
        _stagers[kind] = fn
        return fn
    return register


def apply_staged(kind, user, m):
    """A staged kind's handler, for a mutation applied on its own: the kind's stager (looked
    up when called), then its rows through the ORM."""
    return _stagers[kind](user, m).apply_alone()


def _write_staged(user, run, results):
    """Check a run of staged mutations and write them together, in one savepoint. Anything
    unexpected (a record id taken, a race, a fault) undoes the run, and each mutation is then
    applied in a savepoint of its own, where it is answered on its own."""
    if not run:
        return
    answers, alone = {}, []
    try:
        with db.session.begin_nested():
            tables, totals = {}, []
            for i, m, digest in run:
                try:
                    staged = _stagers[m["kind"]](user, m)
                    if staged is None:
                        alone.append((i, m, digest))
                        continue
                except Rejected as exc:
                    answers[i] = _unless_applied_meanwhile(user, m, digest, {
                        "id": m["id"], "status": "rejected", "code": exc.code, "errors": exc.errors})
                    continue
                except Forbidden as exc:
                    answers[i] = _unless_applied_meanwhile(user, m, digest, {
                        "id": m["id"], "status": "forbidden", "code": "role",
                        "message": str(exc.message)})
                    continue
                for model, values in staged.rows:
                    tables.setdefault(model, []).append(values)
                tables.setdefault(Mutation, []).append(dict(
                    id=m["id"], user_id=user.id, kind=m["kind"], record_id=m["record_id"],
                    payload_sha256=digest, response={"status": "applied", **staged.result}))
                answers[i] = {"id": m["id"], "status": "applied", **staged.result}
                if staged.totals:
                    totals.append(staged.totals)
            # Parents come first: each stager lists a record before the rows that point to it.
            for model, rows in tables.items():
                db.session.execute(insert(model), rows)
            _write_totals(totals)
        for i, answer in answers.items():
            results[i] = answer
    except Exception:  # noqa: BLE001 - sorted out one by one below
        log.warning("sync: a staged run of %d fell back to one savepoint each", len(run), exc_info=True)
        alone = run
    for i, m, digest in alone:
        results[i] = _apply_in_savepoint(user, m, digest)


def push(user, mutations) -> list:
    """Apply a batch and commit once. Raises CommitFailed if the commit does not go through."""
    session = db.session()
    previous = session.expire_on_commit
    # The user, their roles and the catalogue do not change within one batch.
    session.expire_on_commit = False
    lock = _sqlite_writer if _is_sqlite() else contextlib.nullcontext()
    try:
        with lock:
            try:
                results = apply_batch(user, mutations)
                session.commit()
            except OperationalError as exc:
                # The database is busy or gone (a lock wait ran out, a connection dropped).
                session.rollback()
                log.warning("sync: batch of %d not stored: %s", len(mutations), exc.orig)
                raise CommitFailed() from exc
            except Exception as exc:  # TransactionLost included: a bug, logged as one
                session.rollback()
                log.exception("sync: a batch of %d was not stored", len(mutations))
                raise CommitFailed() from exc
        return results
    finally:
        session.expire_on_commit = previous


def settled_before() -> datetime:
    """Rows older than this can no longer be preceded by a row that is not yet committed.

    Every row younger than the settle window is sent again on the next pull. On PostgreSQL a
    transaction may stay open longer than that (a big batch at the morning peak): the cut-off
    then moves back to just before the oldest open transaction that has written, since any
    number such a transaction drew was drawn after it started.
    """
    cutoff = clock.now() - PULL_SETTLE
    if db.session.get_bind().dialect.name == "postgresql":
        oldest = db.session.execute(text(
            "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")).scalar()
        if oldest is not None:
            oldest = oldest.astimezone(UTC).replace(tzinfo=None) - timedelta(seconds=2)
            cutoff = min(cutoff, oldest)
    return cutoff


def pull(user, cursor: int, limit: int = 500) -> dict:
    """Changes after ``cursor`` in the user's scope. The cursor that comes back never passes a
    row that is not settled, whether or not more rows follow; ``more`` is true only when the
    whole page was settled and rows remain."""
    from ..scope.services import scope_for

    scope = scope_for(user)
    # Taken before the rows are read: a transaction that commits in between is then still
    # counted as open, and the rows it wrote are not passed.
    cutoff = settled_before()
    clauses = [and_(ChangeLog.object_type == t, p.visible(scope, user)) for t, p in _pullers.items()]
    rows = (
        ChangeLog.query.filter(ChangeLog.seq > cursor, or_(*clauses) if clauses else false())
        .order_by(ChangeLog.seq).limit(limit + 1).all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor
    for row in rows:
        if row.at >= cutoff:
            more = False  # the rest comes again on the next pull, from this cursor
            break
        next_cursor = row.seq
    latest = {}
    for row in rows:
        latest[(row.object_type, row.object_id)] = row.op
    changes = []
    by_type: dict[str, list] = {}
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
    return {"changes": changes, "cursor": next_cursor, "more": more}
