"""The unit of work: services add and flush; the route or command that called them commits once,
here, or nothing of it is kept, except the audit rows recorded as durable (a whole-number ID
lookup is counted even when the change it belonged to is refused). The sync push keeps its own:
one transaction per push with a savepoint per mutation, committed by the ledger in
``sync/services.push``."""
from contextlib import contextmanager

from .audit import services as audit
from .extensions import db


@contextmanager
def unit_of_work():
    """Commit what the block did, once, at its end; on any error roll it back, keep its durable
    audit rows, and re-raise (a DomainError then reaches its form or the one error handler)."""
    try:
        yield db.session
        db.session.commit()
        audit.take_durable()  # stored with the change: nothing left to keep
    except BaseException:
        kept = audit.take_durable()
        db.session.rollback()
        if kept:
            audit.restore_durable(kept)
            db.session.commit()
        raise
