"""A clock on every stage (立案, 派遣, 处置, 核查): stage limits per category and urgency, when the
running stage began, and each stage an event went through; the national classification of each
category (GB/T 30428.2), filled in for the default catalogue

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 18:32:05.148102

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_stage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('stage', sa.String(length=12), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('ended_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_stage_event_id_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_stage'))
    )
    with op.batch_alter_table('event_stage', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_stage_event_id'), ['event_id'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage_started_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('event_category', schema=None) as batch_op:
        batch_op.add_column(sa.Column('national_kind', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('national_code', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('stage_limits', sa.JSON(), nullable=True))


    # The default catalogue's national classes (app/events/catalogue.py NATIONAL, as of 0021).
    category = sa.table("event_category", sa.column("code", sa.String), sa.column("national_kind", sa.String),
                        sa.column("national_code", sa.String))
    for code, (kind, national) in NATIONAL.items():
        op.execute(category.update().where(category.c.code == code)
                   .values(national_kind=kind, national_code=national))


NATIONAL = {
    "SR": ("event", "01"),
    "SR01": ("event", "0102"),
    "SR02": ("event", "0103"),
    "SR03": ("event", "0201"),
    "SR04": ("event", "0104"),
    "SR05": ("event", "0105"),
    "SR06": ("event", "0202"),
    "JM": ("event", "05"),
    "JM01": ("event", "0501"),
    "JM02": ("event", "0502"),
    "JM03": ("event", "0503"),
    "JM04": ("event", "0504"),
    "JM05": ("event", "0505"),
    "GS": ("part", "01"),
    "GS01": ("part", "0101"),
    "GS02": ("part", "0102"),
    "GS03": ("part", "0201"),
    "GS04": ("part", "0103"),
    "GS05": ("part", "0202"),
    "GS06": ("part", "0601"),
    "AQ": ("event", "04"),
    "AQ01": ("event", "0401"),
    "AQ02": ("event", "0402"),
    "AQ03": ("event", "0403"),
    "AQ04": ("event", "0404"),
    "AQ05": ("event", "0405"),
    "AQ06": ("event", "0406"),
    "MD": ("event", "06"),
    "MD01": ("event", "0601"),
    "MD02": ("event", "0602"),
    "MD03": ("event", "0603"),
    "MD04": ("event", "0604"),
    "ZA": ("event", "06"),
    "ZA01": ("event", "0611"),
    "ZA02": ("event", "0612"),
    "ZA03": ("event", "0613"),
    "ZA04": ("event", "0614"),
    "MS": ("event", "06"),
    "MS01": ("event", "0621"),
    "MS02": ("event", "0622"),
    "MS03": ("event", "0623"),
    "MS04": ("event", "0624"),
    "MS05": ("event", "0625"),
    "QY": ("event", "06"),
    "QY01": ("event", "0631"),
    "QY02": ("event", "0632"),
    "QY03": ("event", "0633"),
    "QY04": ("event", "0634"),
    "QY05": ("event", "0635"),
    "QY06": ("event", "0636"),
    "QY07": ("event", "0637"),
    "TF": ("event", "04"),
    "TF01": ("event", "0411"),
    "TF02": ("event", "0412"),
    "TF03": ("event", "0413"),
    "TF04": ("event", "0414"),
    "TF05": ("event", "0415"),
}


def downgrade():
    with op.batch_alter_table('event_category', schema=None) as batch_op:
        batch_op.drop_column('stage_limits')
        batch_op.drop_column('national_code')
        batch_op.drop_column('national_kind')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('stage_started_at')

    with op.batch_alter_table('event_stage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_stage_event_id'))

    op.drop_table('event_stage')
