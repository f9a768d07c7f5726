"""The command centre's thresholds for the indicators

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 18:44:05.921270

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('indicator_threshold',
    sa.Column('indicator', sa.String(length=32), nullable=False),
    sa.Column('good', sa.Float(), nullable=False),
    sa.Column('poor', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('indicator', name=op.f('pk_indicator_threshold'))
    )


def downgrade():
    op.drop_table('indicator_threshold')
