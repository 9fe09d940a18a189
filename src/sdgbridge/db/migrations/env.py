"""Alembic environment: the engine is handed in by ``sdgbridge.db.engine.upgrade``."""

from alembic import context

from sdgbridge.db.tables import include_search_index, metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        include_name=include_search_index,  # the full-text index is built by hand in 0002
    )
    context.run_migrations()
