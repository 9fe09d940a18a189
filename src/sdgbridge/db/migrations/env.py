"""Alembic environment: the engine is handed in by ``sdgbridge.db.engine.upgrade``."""

from alembic import context

from sdgbridge.db.tables import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
