"""Supporting reports: the same problem added to an open event instead of a second case

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 18:59:29.033827

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_support',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_event_support_actor_id_user')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_support_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_support'))
    )
    with op.batch_alter_table('event_support', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_support_event_id'), ['event_id'], unique=False)



def downgrade():
    with op.batch_alter_table('event_support', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_support_event_id'))

    op.drop_table('event_support')
