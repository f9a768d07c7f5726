"""masking that holds: ID masks show the first four and the check digit, the birth date is kept
only inside the encrypted number (the year and the sex stay in clear), and the ID tail column goes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 11:40:00

Every stored mask is made again from the old one (which showed more), in records, history and
submissions, so the migration needs no DATA_KEY. The downgrade cannot bring the hidden digits
back: it restores the column, empty, and the birth year as the only birth data.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

record = sa.table('registry_record', sa.column('id', sa.String), sa.column('id_masked', sa.String),
                  sa.column('data', sa.JSON))
revision_table = sa.table('registry_revision', sa.column('id', sa.Integer),
                          sa.column('changes', sa.JSON))
submission = sa.table('registry_submission', sa.column('id', sa.String),
                      sa.column('changes', sa.JSON), sa.column('conflicts', sa.JSON))


def _remask(value):
    if not isinstance(value, str) or len(value) < 5 or '*' not in value:
        return value
    return value[:4] + '*' * (len(value) - 5) + value[-1:]


def _remask_changes(changes):
    if not isinstance(changes, dict) or 'id_number' not in changes:
        return changes
    out = dict(changes)
    value = out['id_number']
    if isinstance(value, list):
        out['id_number'] = [_remask(v) for v in value]
    elif isinstance(value, dict):  # a conflict: {"server": …, "phone": …, "phone_cipher": …}
        out['id_number'] = {k: (v if k.endswith('_cipher') else _remask(v)) for k, v in value.items()}
    return out


def upgrade():
    conn = op.get_bind()
    for row in conn.execute(sa.select(record.c.id, record.c.id_masked, record.c.data)):
        data = dict(row.data or {})
        birth = data.pop('birth_date', None)
        if birth:
            data['birth_year'] = int(str(birth)[:4])
        masked = _remask(row.id_masked)
        if data != (row.data or {}) or masked != row.id_masked:
            conn.execute(record.update().where(record.c.id == row.id)
                         .values(id_masked=masked, data=data))
    for row in conn.execute(sa.select(revision_table.c.id, revision_table.c.changes)):
        changes = _remask_changes(row.changes)
        if changes != row.changes:
            conn.execute(revision_table.update().where(revision_table.c.id == row.id)
                         .values(changes=changes))
    for row in conn.execute(sa.select(submission.c.id, submission.c.changes, submission.c.conflicts)):
        changes, conflicts = _remask_changes(row.changes), _remask_changes(row.conflicts)
        if changes != row.changes or conflicts != row.conflicts:
            conn.execute(submission.update().where(submission.c.id == row.id)
                         .values(changes=changes, conflicts=conflicts))
    # A plain ALTER (SQLite >= 3.35 has DROP COLUMN): copying the table, as batch mode does,
    # is refused while other tables' foreign keys point at it.
    with op.batch_alter_table('registry_record', recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_registry_record_id_tail'))
        batch_op.drop_column('id_tail')


def downgrade():
    with op.batch_alter_table('registry_record') as batch_op:
        batch_op.add_column(sa.Column('id_tail', sa.String(length=4), nullable=True))
        batch_op.create_index(batch_op.f('ix_registry_record_id_tail'), ['id_tail'], unique=False)
