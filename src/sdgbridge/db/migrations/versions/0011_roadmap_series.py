"""A roadmap's own series (defined in its file, values loaded from CSV)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'roadmap_series',
        sa.Column('roadmap_id', sa.Integer(), sa.ForeignKey('roadmap.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('series_id', sa.Integer(), sa.ForeignKey('series.id'), primary_key=True),
        sa.Column('units', sa.String(64), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('roadmap_series')
