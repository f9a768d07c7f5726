"""12345 hotline orders: the order number, due date class, the caller for the call-back (number
encrypted), and the call-back itself

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 18:40:13.416358

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('hotline_order',
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('order_no', sa.String(length=40), nullable=False),
    sa.Column('complex', sa.Boolean(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('caller_name_masked', sa.String(length=20), nullable=False),
    sa.Column('caller_phone_cipher', sa.Text(), nullable=True),
    sa.Column('caller_phone_masked', sa.String(length=32), nullable=False),
    sa.Column('callback_at', sa.DateTime(), nullable=True),
    sa.Column('callback_by', sa.Integer(), nullable=True),
    sa.Column('reached', sa.Boolean(), nullable=True),
    sa.Column('satisfied', sa.Boolean(), nullable=True),
    sa.Column('callback_note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['callback_by'], ['user.id'], name=op.f('fk_hotline_order_callback_by_user')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_hotline_order_event_id_event')),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_hotline_order')),
    sa.UniqueConstraint('order_no', name=op.f('uq_hotline_order_order_no'))
    )


def downgrade():
    op.drop_table('hotline_order')
