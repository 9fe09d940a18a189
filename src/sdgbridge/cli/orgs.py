"""``sdgbridge orgs …``: the organisation registry (partners of every kind). Changes made here
are recorded with origin "cli"."""

from __future__ import annotations

from typing import Annotated

import typer

from sdgbridge.cli.output import (
    ClearOpt,
    CountriesOpt,
    FormatOpt,
    changed_fields,
    say,
    show,
    show_changes,
)
from sdgbridge.cli.state import ORIGIN, state
from sdgbridge.errors import SdgBridgeError
from sdgbridge.projects.orgs import (
    archive_org,
    create_org,
    list_orgs,
    org_history,
    restore_org,
    seed_from_iati,
    update_org,
)

app = typer.Typer(help="Organisations (partners of every kind): add, update, archive, "
                  "list, history, seed from the IATI activities.", no_args_is_help=True)

KeyArg = Annotated[str, typer.Argument(help="The organisation's ref, or org:<id>.")]


def parse_contact(text: str) -> dict[str, str]:
    """``name=A. Person;email=a@x.org;phone=…;role=…`` as a contact."""
    contact = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        if not sep:
            raise SdgBridgeError(f"--contact {text!r}: write key=value pairs separated by ';', "
                                 "e.g. --contact 'name=Ana Li;email=ana@undp.org'.")
        contact[key.strip()] = value.strip()
    return contact


@app.command("add")
def orgs_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="The English name.")],
    type_: Annotated[str, typer.Option("--type", help="IATI OrganisationType: 10 government, "
                                       "21/22 NGO, 40 multilateral, 60 foundation, 70 "
                                       "private, 80 academic …")],
    ref: Annotated[str | None, typer.Option(help="IATI organisation identifier.")] = None,
    name_ru: Annotated[str | None, typer.Option(help="The Russian name.")] = None,
    un_entity: Annotated[str | None, typer.Option(help="UN entity code (UNDP …).")] = None,
    country: CountriesOpt = None,
    contact: Annotated[list[str] | None, typer.Option(
        help="'name=…;email=…;phone=…;role=…' (repeat).")] = None,
) -> None:
    """Register an organisation."""
    st = state(ctx)
    org_id = create_org(st.engine, name_en=name, type=type_, ref=ref, name_ru=name_ru,
                        un_entity=un_entity, countries=country or (),
                        contacts=[parse_contact(c) for c in contact or []],
                        codelists=st.codelists(), origin=ORIGIN)
    say(f"Organisation org:{org_id}{f' ({ref})' if ref else ''} added: {name}.")


@app.command("update")
def orgs_update(
    ctx: typer.Context,
    key: KeyArg,
    name: Annotated[str | None, typer.Option("--name", help="The English name.")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="OrganisationType.")] = None,
    ref: Annotated[str | None, typer.Option(help="New IATI identifier.")] = None,
    name_ru: Annotated[str | None, typer.Option(help="The Russian name.")] = None,
    un_entity: Annotated[str | None, typer.Option(help="UN entity code.")] = None,
    country: Annotated[list[str] | None, typer.Option(
        help="ISO alpha-2 (repeat; replaces the list).")] = None,
    contact: Annotated[list[str] | None, typer.Option(
        help="'name=…;email=…' (repeat; replaces the list).")] = None,
    clear: ClearOpt = None,
) -> None:
    """Change an organisation's fields (only those given)."""
    changes = changed_fields({"name_en": name, "type": type_, "ref": ref, "name_ru": name_ru,
                              "un_entity": un_entity, "countries": country,
                              "contacts": [parse_contact(c) for c in contact or []]}, clear)
    if not changes:
        raise SdgBridgeError("Nothing to change: give --name, --type, --ref, --name-ru, "
                             "--un-entity, --country, --contact or --clear FIELD.")
    st = state(ctx)
    show_changes(f"Organisation {key}",
                 update_org(st.engine, key, st.codelists(), ORIGIN, **changes))


@app.command("archive")
def orgs_archive(ctx: typer.Context, key: KeyArg) -> None:
    """Archive an organisation (kept with its history, left out of lists)."""
    done = archive_org(state(ctx).engine, key, ORIGIN)
    say(f"Organisation {key} {'archived' if done else 'was already archived'}.")


@app.command("restore")
def orgs_restore(ctx: typer.Context, key: KeyArg) -> None:
    """Undo an archive: the organisation is listed again (recorded in its history)."""
    done = restore_org(state(ctx).engine, key, ORIGIN)
    say(f"Organisation {key} {'restored' if done else 'was not archived'}.")


@app.command("list")
def orgs_list(
    ctx: typer.Context,
    type_: Annotated[str | None, typer.Option("--type", help="Only this type.")] = None,
    country: Annotated[str | None, typer.Option(help="Only those working here.")] = None,
    all_: Annotated[bool, typer.Option("--include-archived", "--all",
                                       help="With the archived ones.")] = False,
    fmt: FormatOpt = "table",
) -> None:
    """List the organisations."""
    df = list_orgs(state(ctx).engine, type_, country, all_)
    show(df if fmt != "table" else df.drop("contacts"), fmt,
         title=f"{df.height} organisations", limit=500)


@app.command("history")
def orgs_history(ctx: typer.Context, key: KeyArg, fmt: FormatOpt = "table") -> None:
    """Every change of an organisation, oldest first."""
    show(org_history(state(ctx).engine, key), fmt, limit=500)


@app.command("seed-from-iati")
def orgs_seed(ctx: typer.Context) -> None:
    """Register the organisations (refs) of the stored IATI activities not registered yet."""
    st = state(ctx)
    r = seed_from_iati(st.engine, st.codelists())
    say(f"{len(r.created)} organisations added from the IATI activities, {r.existing} "
        f"already registered, {len(r.skipped)} left out.")
    for ref, why in r.skipped.items():
        say(f"  left out {ref}: {why}")
    if r.without_ref:
        say(f"  {r.without_ref} participating organisation name(s) have no ref; add "
            "them with `sdgbridge orgs add` if you need them.")
