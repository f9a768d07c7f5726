"""a new record whose ID number is already registered is marked for the secretary instead of
being refused to its author (the refusal confirmed a guessed number)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 12:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registry_submission') as batch_op:
        batch_op.add_column(sa.Column('duplicate_of', sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table('registry_submission') as batch_op:
        batch_op.drop_column('duplicate_of')
