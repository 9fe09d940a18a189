"""The audit trail is append-only in the store itself: triggers refuse every UPDATE and
DELETE of ``audit_event`` (SQLite: ``RAISE(ABORT)``; PostgreSQL: a function that raises).
Emptying the whole table (PostgreSQL ``TRUNCATE``, as the tests' reset does) fires no row
trigger; a restore replaces the store as a whole.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 04:00:00
"""

from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

MESSAGE = "audit_event is append-only: its rows are never changed or deleted"
FUNCTION = "audit_event_append_only"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON "
                       f"audit_event BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END")
        return
    op.execute(f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
               f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END $$")
    op.execute(f"CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON "
               f"audit_event FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_event_no_{event}")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
    op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
