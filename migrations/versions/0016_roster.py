"""The grid's roster (2+1+N+X forces, a member on one or several grids), and on events the
roster member called to handle one and the registry record a case is about

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 17:27:40.141628

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('force_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('force', sa.String(length=16), nullable=False),
    sa.Column('post', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('unit', sa.String(length=120), nullable=False),
    sa.Column('phone_cipher', sa.Text(), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('phone_masked', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('street_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['street_id'], ['org_unit.id'], name=op.f('fk_force_member_street_id_org_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_force_member_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_force_member'))
    )
    with op.batch_alter_table('force_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_force_member_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_force_member_street_id'), ['street_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_force_member_user_id'), ['user_id'], unique=False)

    op.create_table('force_member_grid',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_force_member_grid_grid_id_grid')),
    sa.ForeignKeyConstraint(['member_id'], ['force_member.id'], name=op.f('fk_force_member_grid_member_id_force_member')),
    sa.PrimaryKeyConstraint('member_id', 'grid_id', name=op.f('pk_force_member_grid'))
    )
    with op.batch_alter_table('force_member_grid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_force_member_grid_grid_id'), ['grid_id'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('called_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f('ix_event_called_user_id'), ['called_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_subject_id'), ['subject_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_event_called_user_id_user'), 'user', ['called_user_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_event_subject_id_registry_record'), 'registry_record', ['subject_id'], ['id'])

    with op.batch_alter_table('event_action', schema=None) as batch_op:
        batch_op.add_column(sa.Column('called_user_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_event_action_called_user_id_user'), 'user', ['called_user_id'], ['id'])




def downgrade():

    with op.batch_alter_table('event_action', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_action_called_user_id_user'), type_='foreignkey')
        batch_op.drop_column('called_user_id')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_subject_id_registry_record'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_event_called_user_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_event_subject_id'))
        batch_op.drop_index(batch_op.f('ix_event_called_user_id'))
        batch_op.drop_column('subject_id')
        batch_op.drop_column('called_user_id')

    with op.batch_alter_table('force_member_grid', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_force_member_grid_grid_id'))

    op.drop_table('force_member_grid')
    with op.batch_alter_table('force_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_force_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_force_member_street_id'))
        batch_op.drop_index(batch_op.f('ix_force_member_phone_hash'))

    op.drop_table('force_member')

