"""Published assessment runs: assessment_run.published_at

A run a user publishes (``sdgbridge assess --publish``) is the one the pages and
``/api/v1/assessments/latest`` show for its method; other runs are ad hoc and never replace it.
Runs stored before this migration are not published. Adding a nullable column is one ALTER
TABLE on SQLite and PostgreSQL alike (no batch mode needed).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 22:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('assessment_run', sa.Column('published_at', sa.DateTime(timezone=True),
                                              nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('assessment_run') as batch:
        batch.drop_column('published_at')
