"""双报到: units and party members reporting to communities, the join links, service needs and claims

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 17:41:48.661505

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('join_link',
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['org_unit.id'], name=op.f('fk_join_link_community_id_org_unit')),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_join_link')),
    sa.UniqueConstraint('token', name=op.f('uq_join_link_token'))
    )
    op.create_table('reporting_unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('contact_name', sa.String(length=60), nullable=False),
    sa.Column('phone_cipher', sa.Text(), nullable=True),
    sa.Column('phone_masked', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['org_unit.id'], name=op.f('fk_reporting_unit_community_id_org_unit')),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_reporting_unit_created_by_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporting_unit')),
    sa.UniqueConstraint('community_id', 'name', name='uq_reporting_unit_name')
    )
    with op.batch_alter_table('reporting_unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporting_unit_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reporting_unit_created_by'), ['created_by'], unique=False)

    op.create_table('service_need',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('slots', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['org_unit.id'], name=op.f('fk_service_need_community_id_org_unit')),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_service_need_created_by_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_need'))
    )
    with op.batch_alter_table('service_need', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_need_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_need_created_by'), ['created_by'], unique=False)

    op.create_table('party_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('phone_cipher', sa.Text(), nullable=True),
    sa.Column('phone_hash', sa.String(length=64), nullable=True),
    sa.Column('phone_masked', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['org_unit.id'], name=op.f('fk_party_member_community_id_org_unit')),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], name=op.f('fk_party_member_decided_by_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['reporting_unit.id'], name=op.f('fk_party_member_unit_id_reporting_unit')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_party_member_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_party_member')),
    sa.UniqueConstraint('user_id', name=op.f('uq_party_member_user_id'))
    )
    with op.batch_alter_table('party_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_party_member_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_member_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_party_member_unit_id'), ['unit_id'], unique=False)

    op.create_table('service_claim',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('need_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(), nullable=False),
    sa.Column('logged_at', sa.DateTime(), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(), nullable=True),
    sa.Column('return_note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_service_claim_author_id_user')),
    sa.ForeignKeyConstraint(['confirmed_by'], ['user.id'], name=op.f('fk_service_claim_confirmed_by_user')),
    sa.ForeignKeyConstraint(['member_id'], ['party_member.id'], name=op.f('fk_service_claim_member_id_party_member')),
    sa.ForeignKeyConstraint(['need_id'], ['service_need.id'], name=op.f('fk_service_claim_need_id_service_need')),
    sa.ForeignKeyConstraint(['unit_id'], ['reporting_unit.id'], name=op.f('fk_service_claim_unit_id_reporting_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_claim'))
    )
    with op.batch_alter_table('service_claim', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_claim_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_claim_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_claim_need_id'), ['need_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_claim_unit_id'), ['unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('service_claim', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_claim_unit_id'))
        batch_op.drop_index(batch_op.f('ix_service_claim_need_id'))
        batch_op.drop_index(batch_op.f('ix_service_claim_member_id'))
        batch_op.drop_index(batch_op.f('ix_service_claim_author_id'))

    op.drop_table('service_claim')
    with op.batch_alter_table('party_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_party_member_unit_id'))
        batch_op.drop_index(batch_op.f('ix_party_member_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_party_member_community_id'))

    op.drop_table('party_member')
    with op.batch_alter_table('service_need', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_need_created_by'))
        batch_op.drop_index(batch_op.f('ix_service_need_community_id'))

    op.drop_table('service_need')
    with op.batch_alter_table('reporting_unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reporting_unit_created_by'))
        batch_op.drop_index(batch_op.f('ix_reporting_unit_community_id'))

    op.drop_table('reporting_unit')
    op.drop_table('join_link')
