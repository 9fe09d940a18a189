"""Roadmaps: priority areas, commitments, responsible organisations, milestones, KPIs, reviews

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _commitment_fk() -> sa.Column:
    return sa.Column('commitment_id', sa.Integer(),
                     sa.ForeignKey('commitment.id', ondelete='CASCADE'), nullable=False)


def upgrade() -> None:
    op.create_table(
        'roadmap',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('key', sa.String(100), nullable=False, unique=True),
        sa.Column('title_en', sa.Text(), nullable=False),
        sa.Column('title_ru', sa.Text()),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('description', sa.Text()),
        sa.Column('description_ru', sa.Text()),
        sa.Column('example', sa.Boolean(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'roadmap_area',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('roadmap_id', sa.Integer(),
                  sa.ForeignKey('roadmap.id', ondelete='CASCADE'), nullable=False),
        sa.Column('key', sa.String(100), nullable=False),
        sa.Column('title_en', sa.Text(), nullable=False),
        sa.Column('title_ru', sa.Text()),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.UniqueConstraint('roadmap_id', 'key'),
    )
    op.create_index('ix_roadmap_area_roadmap_id', 'roadmap_area', ['roadmap_id'])
    op.create_table(
        'commitment',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('roadmap_id', sa.Integer(),
                  sa.ForeignKey('roadmap.id', ondelete='CASCADE'), nullable=False),
        sa.Column('area_id', sa.Integer(),
                  sa.ForeignKey('roadmap_area.id', ondelete='CASCADE'), nullable=False),
        sa.Column('key', sa.String(100), nullable=False),
        sa.Column('title_en', sa.Text(), nullable=False),
        sa.Column('title_ru', sa.Text()),
        sa.Column('description', sa.Text()),
        sa.Column('deadline', sa.Date()),
        sa.Column('countries', sa.Text(), nullable=False),
        sa.Column('targets', sa.Text(), nullable=False),
        sa.Column('projects', sa.Text(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.UniqueConstraint('roadmap_id', 'key'),
    )
    op.create_index('ix_commitment_roadmap_id', 'commitment', ['roadmap_id'])
    op.create_table(
        'commitment_party',
        sa.Column('commitment_id', sa.Integer(),
                  sa.ForeignKey('commitment.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id'),
                  primary_key=True),
    )
    op.create_table(
        'milestone',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        _commitment_fk(),
        sa.Column('title_en', sa.Text(), nullable=False),
        sa.Column('title_ru', sa.Text()),
        sa.Column('due', sa.Date()),
        sa.Column('position', sa.Integer(), nullable=False),
    )
    op.create_index('ix_milestone_commitment_id', 'milestone', ['commitment_id'])
    op.create_table(
        'kpi',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        _commitment_fk(),
        sa.Column('key', sa.String(100), nullable=False),
        sa.Column('series', sa.String(64), nullable=False),
        sa.Column('publisher', sa.String(64), nullable=False),
        sa.Column('direction', sa.String(8), nullable=False),
        sa.Column('target', sa.String(32)),
        sa.Column('baseline_year', sa.Integer(), nullable=False),
        sa.Column('target_year', sa.Integer(), nullable=False),
        sa.Column('countries', sa.Text(), nullable=False),
        sa.Column('note_en', sa.Text()),
        sa.Column('note_ru', sa.Text()),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.UniqueConstraint('commitment_id', 'key'),
    )
    op.create_index('ix_kpi_commitment_id', 'kpi', ['commitment_id'])
    op.create_table(
        'roadmap_review',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('roadmap_id', sa.Integer(),
                  sa.ForeignKey('roadmap.id', ondelete='CASCADE'), nullable=False),
        sa.Column('cycle', sa.String(32), nullable=False),
        sa.Column('method', sa.String(16), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reviewer', sa.Text(), nullable=False),
        sa.Column('source', sa.Text(), nullable=False),
    )
    op.create_index('ix_roadmap_review_roadmap_id', 'roadmap_review', ['roadmap_id'])
    op.create_table(
        'review_item',
        sa.Column('review_id', sa.Integer(),
                  sa.ForeignKey('roadmap_review.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('commitment_id', sa.Integer(),
                  sa.ForeignKey('commitment.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('comment', sa.Text()),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('kpis', sa.Text(), nullable=False),
    )


def downgrade() -> None:
    for name in ('review_item', 'roadmap_review', 'kpi', 'milestone', 'commitment_party', 'commitment', 'roadmap_area',
                 'roadmap'):
        op.drop_table(name)
