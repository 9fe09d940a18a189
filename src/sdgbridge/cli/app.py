"""The command line's root: the Typer app, its callback (the settings in force, the store's
engine on first use, kept in Typer's context), the command groups mounted on it, and
:func:`main`, which turns :class:`SdgBridgeError` into one ``Error: …`` line and exit code 1.

Each group is a module that imports only :mod:`.output` and :mod:`.state`: reference data
(:mod:`.reference`), the SDG data (:mod:`.data`), progress (:mod:`.progress`), serving
(:mod:`.serve`), backups (:mod:`.admin`), projects and organisations (:mod:`.projects`)
and the knowledge base (:mod:`.knowledge`), the audit trail (:mod:`.audit`). The root
callback also sets who acts (``--as``, the ``cli_user`` setting) for the command.
"""

from __future__ import annotations

import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from sdgbridge.actors import acting_as
from sdgbridge.audit import cli_actor
from sdgbridge.cli import (
    accounts,
    admin,
    audit,
    coordination,
    data,
    knowledge,
    mail,
    progress,
    projects,
    reference,
    reports,
    requests,
    roadmaps,
    serve,
)
from sdgbridge.cli.state import CliState
from sdgbridge.config import load_settings
from sdgbridge.db.faults import disk_full_error
from sdgbridge.errors import SdgBridgeError

SHELLS = ("serve",)  # commands that run another shell: they do not act as the cli user
app = typer.Typer(help="sdgbridge: official SDG data, with provenance, for a regional SDG centre.",
                  no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def _root(ctx: typer.Context, database_url: Annotated[str | None, typer.Option(
        "--db", help="Store URL (overrides SDGBRIDGE_DATABASE_URL).")] = None,
          user: Annotated[str | None, typer.Option(
              "--as", help="Act as this named local user: the audit trail attributes the "
              "command's writes to cli:USER (default: the cli_user setting, your login "
              "name).")] = None) -> None:
    ctx.obj = CliState(load_settings(**({"database_url": database_url} if database_url
                                        else {})))
    # The command runs as the named local user (the root context closes after it); not the
    # server, whose requests act as the web says (each request its own actor).
    if ctx.invoked_subcommand not in SHELLS:
        ctx.with_resource(acting_as(cli_actor(user or ctx.obj.settings.cli_user)))


# Top-level commands (groups without a name), then the named groups.
for group in (reference.app, data.app, progress.app, serve.app, admin.app):
    app.add_typer(group)
app.add_typer(reference.groups_app, name="groups")
app.add_typer(reference.framework_app, name="framework")
app.add_typer(projects.app, name="projects")
app.add_typer(projects.orgs_app, name="orgs")
app.add_typer(coordination.app, name="coordination")
app.add_typer(requests.app, name="requests")
app.add_typer(requests.experts_app, name="experts")
app.add_typer(roadmaps.app, name="roadmaps")
app.add_typer(reports.app, name="report")
app.add_typer(knowledge.app, name="docs")
app.add_typer(mail.app, name="mail")
for name, group in accounts.GROUPS:  # users, keys
    app.add_typer(group, name=name)
app.add_typer(audit.app, name="audit")

# Errors of the file system that a path given on the command line causes, in words.
_PATH_PROBLEMS: dict[type[OSError], str] = {
    IsADirectoryError: "it is a folder; give a file path",
    NotADirectoryError: "a part of it is a file, not a folder",
    FileNotFoundError: "it, or its folder, does not exist; create the folder or correct the "
                       "path",
    PermissionError: "permission denied",
    FileExistsError: "it exists already"}


def main() -> None:
    """Run the command line: an error ends in ``Error: …`` on standard error, exit code 1."""
    try:
        app()
    except SdgBridgeError as exc:
        _error(str(exc))
    except tuple(_PATH_PROBLEMS) as exc:  # a path given on the command line that cannot be used
        if exc.filename is None:  # e.g. Polars: "expected a file path; 'x' is a directory"
            _error(f"{exc}.")
        _error(f"cannot use {exc.filename}: {_PATH_PROBLEMS[type(exc)]}.")
    except Exception as exc:  # a full disk (whichever driver met it) is told in words
        full = disk_full_error(exc)
        if full is None:
            raise
        _error(str(full))


def _error(message: str) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"Error: {message}", highlight=False,
                                               markup=False)
    sys.exit(1)
