"""The unit of work: services add and flush; the route or command that called them commits once,
here, or nothing of it is kept. (The sync push keeps its own: one transaction per push with a
savepoint per mutation, committed by the ledger in ``sync/services.push``.)"""
from contextlib import contextmanager

from .extensions import db


@contextmanager
def unit_of_work():
    """Commit what the block did, once, at its end; on any error roll all of it back and re-raise
    (a DomainError then reaches its form or the one error handler)."""
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
