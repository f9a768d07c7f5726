"""帮办代办: the catalogue of convenience items, requests made for residents and their steps

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 17:34:35.127485

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('convenience_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('materials', sa.Text(), nullable=False),
    sa.Column('office', sa.String(length=120), nullable=False),
    sa.Column('time_limit_days', sa.Integer(), nullable=False),
    sa.Column('duty_code', sa.String(length=12), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_convenience_item'))
    )
    op.create_table('assist_request',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.String(length=36), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('consent_method', sa.String(length=20), nullable=False),
    sa.Column('consent_at', sa.DateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('satisfaction', sa.Integer(), nullable=True),
    sa.Column('satisfaction_note', sa.String(length=300), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_assist_request_grid_id_grid')),
    sa.ForeignKeyConstraint(['item_id'], ['convenience_item.id'], name=op.f('fk_assist_request_item_id_convenience_item')),
    sa.ForeignKeyConstraint(['resident_id'], ['registry_record.id'], name=op.f('fk_assist_request_resident_id_registry_record')),
    sa.ForeignKeyConstraint(['worker_id'], ['user.id'], name=op.f('fk_assist_request_worker_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assist_request'))
    )
    with op.batch_alter_table('assist_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assist_request_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assist_request_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assist_request_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assist_request_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_assist_request_worker_id'), ['worker_id'], unique=False)

    op.create_table('assist_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('to_state', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_assist_step_actor_id_user')),
    sa.ForeignKeyConstraint(['request_id'], ['assist_request.id'], name=op.f('fk_assist_step_request_id_assist_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assist_step'))
    )
    with op.batch_alter_table('assist_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assist_step_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('assist_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assist_step_request_id'))

    op.drop_table('assist_step')
    with op.batch_alter_table('assist_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assist_request_worker_id'))
        batch_op.drop_index(batch_op.f('ix_assist_request_state'))
        batch_op.drop_index(batch_op.f('ix_assist_request_resident_id'))
        batch_op.drop_index(batch_op.f('ix_assist_request_item_id'))
        batch_op.drop_index(batch_op.f('ix_assist_request_grid_id'))

    op.drop_table('assist_request')
    op.drop_table('convenience_item')
