"""Command-line shells over :mod:`.orgs` and :mod:`.editing`.

``orgs_app`` is mounted as ``sdgbridge orgs``; the commands of ``edit_app`` (create, update,
archive, restore, and ``results``, the reader of IATI results) are merged into
``sdgbridge projects``::

    app.add_typer(orgs_app, name="orgs")
    projects_app.add_typer(edit_app)   # no name: the commands join `projects`

Each command takes the settings and the engine from :data:`sdgbridge.cli.state` when it
runs (imported there, to avoid an import cycle) and records its changes with origin "cli".
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from sdgbridge.errors import SdgBridgeError
from sdgbridge.projects.results import MIN_SIMILARITY

ORIGIN = "cli"
orgs_app = typer.Typer(help="Organisations (partners of every kind): add, update, archive, "
                       "list, history, seed from the IATI activities.", no_args_is_help=True)
edit_app = typer.Typer(help="Projects entered by hand: create, update, archive, restore.")

KeyArg = Annotated[str, typer.Argument(help="The organisation's ref, or org:<id>.")]
FmtOpt = Annotated[str, typer.Option("--format", help="table, csv or json")]
ClearOpt = Annotated[list[str] | None, typer.Option(
    "--clear", help="Empty this field (repeat), e.g. --clear name_ru.")]


def _context() -> tuple[Any, Any]:
    """The store engine and the IATI code lists of the running command."""
    from sdgbridge.cli import state
    from sdgbridge.projects.iati.codelists import load_codelists

    return state.engine, load_codelists(state.settings.iati_codelists)


def _print(text: str) -> None:
    from sdgbridge.cli import console

    console.print(text, markup=False, highlight=False)


def _changes(given: dict[str, Any], clear: list[str] | None) -> dict[str, Any]:
    """The options given (not None), and the fields to clear (set to None)."""
    changes = {k: v for k, v in given.items() if v is not None and v != []}
    for name in clear or []:
        if name in changes:
            raise SdgBridgeError(f"--clear {name} and a new value for {name}: give one.")
        changes[name] = None
    return changes


def _report(what: str, diff: dict[str, list[Any]]) -> None:
    if not diff:
        _print(f"{what}: no change (the values given are the stored ones).")
        return
    _print(f"{what} updated:")
    for name, (old, new) in diff.items():
        _print(f"  {name}: {old!r} -> {new!r}")


# ---------------------------------------------------------------- organisations

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


@orgs_app.command("add")
def orgs_add(
    name: Annotated[str, typer.Option("--name", help="The English name.")],
    type_: Annotated[str, typer.Option("--type", help="IATI OrganisationType: 10 government, "
                                       "21/22 NGO, 40 multilateral, 60 foundation, 70 "
                                       "private, 80 academic …")],
    ref: Annotated[str | None, typer.Option(help="IATI organisation identifier.")] = None,
    name_ru: Annotated[str | None, typer.Option(help="The Russian name.")] = None,
    un_entity: Annotated[str | None, typer.Option(help="UN entity code (UNDP …).")] = None,
    country: Annotated[list[str] | None, typer.Option(help="ISO alpha-2 (repeat).")] = None,
    contact: Annotated[list[str] | None, typer.Option(
        help="'name=…;email=…;phone=…;role=…' (repeat).")] = None,
) -> None:
    """Register an organisation."""
    from sdgbridge.projects.orgs import create_org

    engine, codelists = _context()
    org_id = create_org(engine, name_en=name, type=type_, ref=ref, name_ru=name_ru,
                        un_entity=un_entity, countries=country or (),
                        contacts=[parse_contact(c) for c in contact or []],
                        codelists=codelists, origin=ORIGIN)
    _print(f"Organisation org:{org_id}{f' ({ref})' if ref else ''} added: {name}.")


@orgs_app.command("update")
def orgs_update(
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
    from sdgbridge.projects.orgs import update_org

    engine, codelists = _context()
    changes = _changes({"name_en": name, "type": type_, "ref": ref, "name_ru": name_ru,
                        "un_entity": un_entity, "countries": country,
                        "contacts": [parse_contact(c) for c in contact or []]}, clear)
    if not changes:
        raise SdgBridgeError("Nothing to change: give --name, --type, --ref, --name-ru, "
                             "--un-entity, --country, --contact or --clear FIELD.")
    _report(f"Organisation {key}", update_org(engine, key, codelists, ORIGIN, **changes))


@orgs_app.command("archive")
def orgs_archive(key: KeyArg) -> None:
    """Archive an organisation (kept with its history, left out of lists)."""
    from sdgbridge.projects.orgs import archive_org

    engine, _ = _context()
    done = archive_org(engine, key, ORIGIN)
    _print(f"Organisation {key} {'archived' if done else 'was already archived'}.")


@orgs_app.command("restore")
def orgs_restore(key: KeyArg) -> None:
    """Undo an archive: the organisation is listed again (recorded in its history)."""
    from sdgbridge.projects.orgs import restore_org

    engine, _ = _context()
    done = restore_org(engine, key, ORIGIN)
    _print(f"Organisation {key} {'restored' if done else 'was not archived'}.")


@orgs_app.command("list")
def orgs_list(
    type_: Annotated[str | None, typer.Option("--type", help="Only this type.")] = None,
    country: Annotated[str | None, typer.Option(help="Only those working here.")] = None,
    all_: Annotated[bool, typer.Option("--include-archived", "--all",
                                       help="With the archived ones.")] = False,
    fmt: FmtOpt = "table",
) -> None:
    """List the organisations."""
    from sdgbridge.cli import show
    from sdgbridge.projects.orgs import list_orgs

    engine, _ = _context()
    df = list_orgs(engine, type_, country, all_)
    show(df if fmt != "table" else df.drop("contacts"), fmt,
         title=f"{df.height} organisations", limit=500)


@orgs_app.command("history")
def orgs_history(key: KeyArg, fmt: FmtOpt = "table") -> None:
    """Every change of an organisation, oldest first."""
    from sdgbridge.cli import show
    from sdgbridge.projects.orgs import org_history

    engine, _ = _context()
    show(org_history(engine, key), fmt, limit=500)


@orgs_app.command("seed-from-iati")
def orgs_seed() -> None:
    """Register the organisations (refs) of the stored IATI activities not registered yet."""
    from sdgbridge.projects.orgs import seed_from_iati

    engine, codelists = _context()
    r = seed_from_iati(engine, codelists)
    _print(f"{len(r.created)} organisations added from the IATI activities, {r.existing} "
           f"already registered, {len(r.skipped)} left out.")
    for ref, why in r.skipped.items():
        _print(f"  left out {ref}: {why}")
    if r.without_ref:
        _print(f"  {r.without_ref} participating organisation name(s) have no ref; add "
               "them with `sdgbridge orgs add` if you need them.")


# ---------------------------------------------------------------- projects by hand

def _participant(text: str) -> tuple[str, str]:
    role, sep, ref = text.partition(":")
    if not sep or not ref.strip():
        raise SdgBridgeError(f"--participant {text!r}: write ROLE:REF, e.g. 4:XM-DAC-41114 "
                             "(roles: 1 funding, 2 accountable, 3 extending, 4 implementing).")
    return role.strip(), ref.strip()


@edit_app.command("create")
def project_create(
    identifier: Annotated[str, typer.Argument(help="The IATI identifier.")],
    title: Annotated[str, typer.Option(help="The English title.")],
    org: Annotated[str, typer.Option(help="The reporting organisation's ref (registered).")],
    status: Annotated[str, typer.Option(help="ActivityStatus: 1 pipeline, 2 implementation, "
                                        "3 finalisation, 4 closed …")],
    country: Annotated[list[str] | None, typer.Option(help="ISO alpha-2 (repeat).")] = None,
    sector: Annotated[list[str] | None, typer.Option(help="DAC 5-digit (repeat).")] = None,
    title_ru: Annotated[str | None, typer.Option(help="The Russian title.")] = None,
    description: Annotated[str | None, typer.Option(help="English description.")] = None,
    planned_start: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None,
    planned_end: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None,
    participant: Annotated[list[str] | None, typer.Option(
        help="ROLE:REF of a registered organisation (repeat).")] = None,
) -> None:
    """Create a project by hand (not from an IATI file)."""
    from sdgbridge.projects.editing import create_project

    engine, codelists = _context()
    ident = create_project(
        engine, identifier=identifier, title_en=title, reporting_org_ref=org, status=status,
        countries=country or (), sectors=sector or (), title_ru=title_ru,
        description_en=description, planned_start=planned_start, planned_end=planned_end,
        participants=[_participant(p) for p in participant or []], codelists=codelists,
        origin=ORIGIN)
    _print(f"Project {ident} created.")


@edit_app.command("update")
def project_update(
    identifier: Annotated[str, typer.Argument(help="The project's identifier.")],
    title: Annotated[str | None, typer.Option(help="The English title.")] = None,
    title_ru: Annotated[str | None, typer.Option(help="The Russian title.")] = None,
    description: Annotated[str | None, typer.Option(help="English description.")] = None,
    description_ru: Annotated[str | None, typer.Option(help="Russian description.")] = None,
    status: Annotated[str | None, typer.Option(help="ActivityStatus code.")] = None,
    planned_start: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None,
    actual_start: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None,
    planned_end: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None,
    actual_end: Annotated[str | None, typer.Option(help="yyyy-mm-dd")] = None,
    clear: ClearOpt = None,
) -> None:
    """Change fields of a project made by hand (only those given)."""
    from sdgbridge.projects.editing import update_project

    engine, codelists = _context()
    changes = _changes({"title_en": title, "title_ru": title_ru, "description_en": description,
                        "description_ru": description_ru, "status": status,
                        "planned_start": planned_start, "actual_start": actual_start,
                        "planned_end": planned_end, "actual_end": actual_end}, clear)
    if not changes:
        raise SdgBridgeError("Nothing to change: give --title, --status, a date, … "
                             "or --clear FIELD.")
    _report(f"Project {identifier}", update_project(engine, identifier, codelists, ORIGIN,
                                                    **changes))


@edit_app.command("archive")
def project_archive(identifier: Annotated[str, typer.Argument(help="The identifier.")]
                    ) -> None:
    """Archive a project made by hand (kept with its history)."""
    from sdgbridge.projects.editing import archive_project

    engine, _ = _context()
    done = archive_project(engine, identifier, ORIGIN)
    _print(f"Project {identifier} {'archived' if done else 'was already archived'}.")


@edit_app.command("restore")
def project_restore(identifier: Annotated[str, typer.Argument(help="The identifier.")]
                    ) -> None:
    """Undo an archive: the project is listed again (recorded in its history)."""
    from sdgbridge.projects.editing import restore_project

    engine, _ = _context()
    done = restore_project(engine, identifier, ORIGIN)
    _print(f"Project {identifier} {'restored' if done else 'was not archived'}.")


# ---------------------------------------------------------------- results (IATI `result`)

@edit_app.command("results")
def project_results(
    identifier: Annotated[list[str] | None, typer.Option(
        "--id", help="Only these iati-identifiers (repeat).")] = None,
    min_similarity: Annotated[float, typer.Option(
        help="Least title similarity (TF-IDF cosine, 0-1) for an inferred SDG link.",
        min=0.0, max=1.0)
    ] = MIN_SIMILARITY,
    include_archived: Annotated[bool, typer.Option(
        "--include-archived", help="Also the archived projects.")] = False,
    fmt: FmtOpt = "table",
) -> None:
    """Results of projects: indicators, baselines, targets and actuals per period, each with
    its SDG indicator (declared by the publisher, or inferred from its title) and series."""
    from sdgbridge.cli import show, state
    from sdgbridge.projects.queries import project_results as results

    df = results(state.engine, identifier or None, min_similarity=min_similarity,
                 include_archived=include_archived)
    show(df, fmt, title=f"{df.height:,} result indicator rows (one per period)", limit=200)
