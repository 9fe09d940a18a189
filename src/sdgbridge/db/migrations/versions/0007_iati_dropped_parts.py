"""The optional parts an IATI import left out: iati_import_dropped

Real publishers' files break the IATI schema in optional parts (a location's point without
srsName, a budget item with a vocabulary attribute, a sector without a code); the import now
drops such a part and keeps the activity (sdgbridge.projects.iati.severity), recording each
drop here with the rule it broke.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 08:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'iati_import_dropped',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('import_id', sa.Integer(),
                  sa.ForeignKey('iati_import.id', ondelete='CASCADE'), nullable=False),
        sa.Column('iati_identifier', sa.String(255)),
        sa.Column('reporting_org', sa.String(255)),
        sa.Column('file', sa.Text(), nullable=False),
        sa.Column('line', sa.Integer()),
        sa.Column('field', sa.Text(), nullable=False),
        sa.Column('rule', sa.Text(), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
    )
    op.create_index('ix_iati_import_dropped_import_id', 'iati_import_dropped', ['import_id'])


def downgrade() -> None:
    op.drop_index('ix_iati_import_dropped_import_id', 'iati_import_dropped')
    op.drop_table('iati_import_dropped')
