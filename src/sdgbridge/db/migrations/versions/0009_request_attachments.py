"""Technical assistance: files attached to a request (stored as knowledge-base documents)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 13:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ta_attachment',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('request_id', sa.Integer(),
                  sa.ForeignKey('ta_request.id', ondelete='CASCADE'), nullable=False),
        sa.Column('document_id', sa.Integer(),
                  sa.ForeignKey('document.id', ondelete='CASCADE'), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.Text(), nullable=False),
        sa.UniqueConstraint('request_id', 'document_id'),
    )
    op.create_index('ix_ta_attachment_request_id', 'ta_attachment', ['request_id'])


def downgrade() -> None:
    op.drop_index('ix_ta_attachment_request_id', 'ta_attachment')
    op.drop_table('ta_attachment')
