"""What the root callback builds for the commands and puts in Typer's context (``ctx.obj``):
the settings in force and, on first use, the store's engine. A command reads it with
:func:`state`::

    @app.command()
    def releases(ctx: typer.Context) -> None:
        show(release_table(state(ctx).engine))
"""

from __future__ import annotations

import typer
from sqlalchemy import Engine

from sdgbridge.config import Settings
from sdgbridge.db.engine import make_engine
from sdgbridge.projects.iati.codelists import load_codelists
from sdgbridge.reference.seed import seed_store

ORIGIN = "cli"  # the origin recorded with the changes the commands make to the registries


class CliState:
    """The settings, and the engine made when first asked for: the store is created or
    upgraded, and a new one gets the geography and the SDG framework."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self._engine = engine

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.settings.database_url,
                                       statement_timeout=self.settings.statement_timeout)
            seed_store(self._engine)
        return self._engine

    def codelists(self) -> dict[str, frozenset[str]]:
        """The IATI code lists that entered codes are checked against."""
        return load_codelists(self.settings.iati_codelists)


def state(ctx: typer.Context) -> CliState:
    """The state of the running command (set by the root callback, found up the contexts)."""
    found = ctx.find_object(CliState)
    if found is None:
        raise RuntimeError("No CliState in the context: invoke the commands through "
                           "sdgbridge.cli.app, or put one in ctx.obj.")
    return found
