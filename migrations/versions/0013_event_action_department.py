"""event moves name the department a dispatch or whistle called

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 12:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event_action') as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_event_action_department_id_department'), 'department',
                                    ['department_id'], ['id'])
    # Past dispatches and whistles: the event's department is the best record there is.
    op.execute("UPDATE event_action SET department_id = (SELECT department_id FROM event "
               "WHERE event.id = event_action.event_id) WHERE action IN ('dispatch', 'whistle')")


def downgrade():
    with op.batch_alter_table('event_action') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_action_department_id_department'), type_='foreignkey')
        batch_op.drop_column('department_id')
