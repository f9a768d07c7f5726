"""Enterprise service in exclusive grids: economic surveys (versioned), one answer per enterprise
per month, and the monthly risk screening

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 17:48:28.179955

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('economic_survey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('owner_unit_id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], name=op.f('fk_economic_survey_created_by_user')),
    sa.ForeignKeyConstraint(['owner_unit_id'], ['org_unit.id'], name=op.f('fk_economic_survey_owner_unit_id_org_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_economic_survey')),
    sa.UniqueConstraint('series', 'version', name='uq_economic_survey_version')
    )
    with op.batch_alter_table('economic_survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_economic_survey_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_economic_survey_owner_unit_id'), ['owner_unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_economic_survey_series'), ['series'], unique=False)

    op.create_table('risk_screening',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('enterprise_id', sa.String(length=36), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.Column('notes', sa.JSON(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('event_ids', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('screened_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_risk_screening_author_id_user')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['registry_record.id'], name=op.f('fk_risk_screening_enterprise_id_registry_record')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_risk_screening_grid_id_grid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_screening')),
    sa.UniqueConstraint('enterprise_id', 'period', name='uq_risk_screening_once')
    )
    with op.batch_alter_table('risk_screening', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_screening_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_screening_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_risk_screening_grid_id'), ['grid_id'], unique=False)

    op.create_table('survey_answer',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=36), nullable=False),
    sa.Column('enterprise_id', sa.String(length=36), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_survey_answer_author_id_user')),
    sa.ForeignKeyConstraint(['enterprise_id'], ['registry_record.id'], name=op.f('fk_survey_answer_enterprise_id_registry_record')),
    sa.ForeignKeyConstraint(['grid_id'], ['grid.id'], name=op.f('fk_survey_answer_grid_id_grid')),
    sa.ForeignKeyConstraint(['survey_id'], ['economic_survey.id'], name=op.f('fk_survey_answer_survey_id_economic_survey')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_answer')),
    sa.UniqueConstraint('series', 'enterprise_id', 'period', name='uq_survey_answer_once')
    )
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_answer_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_answer_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_answer_grid_id'), ['grid_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_answer_survey_id'), ['survey_id'], unique=False)



def downgrade():
    with op.batch_alter_table('survey_answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_answer_survey_id'))
        batch_op.drop_index(batch_op.f('ix_survey_answer_grid_id'))
        batch_op.drop_index(batch_op.f('ix_survey_answer_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_survey_answer_author_id'))

    op.drop_table('survey_answer')
    with op.batch_alter_table('risk_screening', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_screening_grid_id'))
        batch_op.drop_index(batch_op.f('ix_risk_screening_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_risk_screening_author_id'))

    op.drop_table('risk_screening')
    with op.batch_alter_table('economic_survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_economic_survey_series'))
        batch_op.drop_index(batch_op.f('ix_economic_survey_owner_unit_id'))
        batch_op.drop_index(batch_op.f('ix_economic_survey_created_by'))

    op.drop_table('economic_survey')
