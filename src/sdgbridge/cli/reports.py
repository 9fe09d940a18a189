"""Profiles on the command line: ``sdgbridge report country KAZ --lang ru --format pdf``
and ``sdgbridge report region``, the same file as the pages' buttons give."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sdgbridge.cli.output import say
from sdgbridge.cli.state import state

app = typer.Typer(help="Profiles to print and send: a country's or the region's.",
                  no_args_is_help=True)
LangOpt = Annotated[str, typer.Option("--lang", help="en or ru.")]
FormatOpt = Annotated[str, typer.Option("--format", help="pdf or html.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="The file to write (default: "
                                                           "sdg-profile-<country>-<lang>.<format>).")]


def _write(ctx: typer.Context, code: str, lang: str, fmt: str, out: Path | None) -> None:
    from sdgbridge.errors import InputError
    from sdgbridge.web.profiles import FORMATS, render_profile

    if fmt not in FORMATS:
        raise InputError(f"--format {fmt}: give pdf or html.")
    st = state(ctx)
    rendered = render_profile(st.engine, code, st.settings.default_group, lang, fmt)
    path = out or Path(rendered.filename)
    path.write_bytes(rendered.body)
    say(f"Profile written to {path} ({len(rendered.body):,} bytes).")


@app.command("country")
def country(ctx: typer.Context,
            code: Annotated[str, typer.Argument(help="ISO3 (KAZ) or M49 code.")],
            lang: LangOpt = "en", fmt: FormatOpt = "pdf", out: OutOpt = None) -> None:
    """A country's profile: status per goal by each method, then per goal its key
    indicators, charts, data gaps, partners, money and practices; sources last."""
    _write(ctx, code, lang, fmt, out)


@app.command("region")
def region(ctx: typer.Context, lang: LangOpt = "en", fmt: FormatOpt = "pdf",
           out: OutOpt = None) -> None:
    """The region's profile (the countries of the default group, side by side)."""
    _write(ctx, "region", lang, fmt, out)
