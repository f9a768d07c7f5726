"""the sync ledger keeps a keyed hash: a plain SHA-256 of a pushed record confirmed a guessed
ID number to anyone with a database copy

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 12:30:00

Each stored digest d becomes HMAC(key, d), the same value the server now computes, so replays
of mutations applied before the upgrade are still recognised. The key derives from DATA_KEY.
The downgrade cannot undo an HMAC; it leaves the keyed values (replays of older mutations are
then answered as reused ids, never applied twice).
"""
import hashlib
import hmac

from alembic import op
import sqlalchemy as sa
from flask import current_app


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

ledger = sa.table('sync_mutation', sa.column('id', sa.String), sa.column('payload_sha256', sa.String))


def upgrade():
    key = hashlib.sha256(b"gridwalk-ledger:" + current_app.config["DATA_KEY"].encode()).digest()
    conn = op.get_bind()
    rows = conn.execute(sa.select(ledger.c.id, ledger.c.payload_sha256)).all()
    for row_id, digest in rows:
        keyed = hmac.new(key, digest.encode(), hashlib.sha256).hexdigest()
        conn.execute(ledger.update().where(ledger.c.id == row_id).values(payload_sha256=keyed))


def downgrade():
    pass
