"""Looking after the store: ``backup`` (a consistent copy of it and its manifest, into a new
folder) and ``restore`` (checked against the manifest, then migrated to the current schema).
Both work on the store of ``--db`` / SDGBRIDGE_DATABASE_URL as it is: neither creates, seeds
nor migrates it first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sdgbridge.cli.output import console, progress_bar, say
from sdgbridge.cli.state import state
from sdgbridge.db.backup import Manifest
from sdgbridge.db.backup import backup as backup_store
from sdgbridge.db.backup import restore as restore_store

app = typer.Typer()


def _summary(manifest: Manifest, title: str) -> None:
    table = Table(title=title, show_header=False)
    table.add_column("what")
    table.add_column("value", overflow="fold")
    table.add_row("store", f"{manifest.dialect}, schema revision {manifest.alembic_revision}")
    table.add_row("made", f"{manifest.created_at} by sdgbridge {manifest.sdgbridge_version}")
    for f in manifest.files:
        table.add_row(f.name, f"{f.size:,} bytes, sha256 {f.sha256}")
    counts = manifest.row_counts
    busy = sorted((n for n in counts if counts[n]), key=lambda n: -counts[n])
    table.add_row("rows", f"{sum(counts.values()):,} in {len(counts)} tables")
    for name in busy[:8]:
        table.add_row(f"  {name}", f"{counts[name]:,}")
    console.print(table)


@app.command()
def backup(ctx: typer.Context, dest: Annotated[Path, typer.Argument(
        help="A new (or empty) folder for the backup.")]) -> None:
    """Back up the store into DEST: a consistent copy (SQLite, also while the server writes;
    PostgreSQL with pg_dump) and manifest.json with checksums and row counts."""
    url = state(ctx).settings.database_url
    with progress_bar() as update:
        manifest = backup_store(url, dest, progress=update)
    _summary(manifest, f"Backup in {dest}")


@app.command()
def restore(ctx: typer.Context,
            src: Annotated[Path, typer.Argument(help="The folder `sdgbridge backup` made.")],
            force: Annotated[bool, typer.Option(
                "--force", help="Replace the store's contents if it is not empty.")]
            = False) -> None:
    """Restore the backup in SRC into the store (refused if the store is not empty, without
    --force), after checking every file against the manifest; then migrate it to the current
    schema."""
    url = state(ctx).settings.database_url
    with progress_bar() as update:
        report = restore_store(src, url, force=force, progress=update)
    _summary(report.manifest, f"Restored from {src}")
    note = " (its previous contents replaced)" if report.replaced else ""
    say(f"The store is at schema revision {report.revision}{note}.")
