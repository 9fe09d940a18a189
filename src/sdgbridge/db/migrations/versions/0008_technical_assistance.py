"""Technical assistance: requests, transitions, comments, experts, candidates, feedback

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _request_fk() -> sa.Column:
    return sa.Column('request_id', sa.Integer(),
                     sa.ForeignKey('ta_request.id', ondelete='CASCADE'), nullable=False)


def upgrade() -> None:
    op.create_table(
        'ta_request',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('country', sa.String(3), nullable=False),
        sa.Column('requesting_body', sa.Text(), nullable=False),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('account.id')),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id')),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('urgency', sa.String(16), nullable=False),
        sa.Column('languages', sa.Text(), nullable=False),
        sa.Column('targets', sa.Text(), nullable=False),
        sa.Column('wanted_by', sa.Date()),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('state_since', sa.DateTime(timezone=True), nullable=False),
        sa.Column('share_with_partners', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True)),
    )
    op.create_index('ix_ta_request_country', 'ta_request', ['country'])
    op.create_index('ix_ta_request_state', 'ta_request', ['state'])
    op.create_table(
        'ta_transition',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        _request_fk(),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.Text(), nullable=False),
        sa.Column('from_state', sa.String(16)),
        sa.Column('to_state', sa.String(16), nullable=False),
        sa.Column('reason', sa.Text()),
    )
    op.create_index('ix_ta_transition_request_id', 'ta_transition', ['request_id'])
    op.create_table(
        'ta_comment',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        _request_fk(),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
    )
    op.create_index('ix_ta_comment_request_id', 'ta_comment', ['request_id'])
    op.create_table(
        'expert',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('email', sa.String(320), nullable=False, unique=True),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('account.id')),
        sa.Column('organisation_id', sa.Integer(), sa.ForeignKey('organisation.id')),
        sa.Column('languages', sa.Text(), nullable=False),
        sa.Column('targets', sa.Text(), nullable=False),
        sa.Column('sectors', sa.Text(), nullable=False),
        sa.Column('countries', sa.Text(), nullable=False),
        sa.Column('available_from', sa.Date()),
        sa.Column('available_to', sa.Date()),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        'ta_candidate',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        _request_fk(),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('candidate_key', sa.String(255), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('score', sa.Float(), nullable=False),
        sa.Column('reasons', sa.Text(), nullable=False),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('request_id', 'kind', 'candidate_key', name='uq_ta_candidate'),
    )
    op.create_index('ix_ta_candidate_request_id', 'ta_candidate', ['request_id'])
    op.create_table(
        'ta_feedback',
        sa.Column('request_id', sa.Integer(), sa.ForeignKey('ta_request.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('rating', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('indicators', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ('ta_feedback', 'ta_candidate', 'expert', 'ta_comment', 'ta_transition',
                  'ta_request'):
        op.drop_table(table)
