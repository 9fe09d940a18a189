"""Projects and organisations on the command line. ``sdgbridge projects …`` (``app``): IATI
activities (import, listings, 3W, money against progress, overlaps, the partner network,
export), projects entered by hand (create, update, archive, restore) and their results;
``sdgbridge orgs …`` (``orgs_app``): the organisation registry. Changes made here are
recorded with origin "cli"."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from sdgbridge.cli.output import (
    AreasOpt,
    FormatOpt,
    MethodOpt,
    OutOpt,
    console,
    progress_bar,
    say,
    show,
    show_import,
    show_or_write,
)
from sdgbridge.cli.state import ORIGIN, state
from sdgbridge.errors import SdgBridgeError
from sdgbridge.projects.editing import (
    archive_project,
    create_project,
    restore_project,
    update_project,
)
from sdgbridge.projects.iati.export import export_activities
from sdgbridge.projects.orgs import (
    archive_org,
    create_org,
    list_orgs,
    org_history,
    restore_org,
    seed_from_iati,
    update_org,
)
from sdgbridge.projects.overlaps import overlaps, partner_network
from sdgbridge.projects.queries import project_history, project_results, project_table, three_w
from sdgbridge.projects.results import MIN_SIMILARITY
from sdgbridge.projects.sdg import flat_export, load_mapping
from sdgbridge.projects.service import import_files

app = typer.Typer(help="Projects (IATI activities): import, list, history, 3W.")
orgs_app = typer.Typer(help="Organisations (partners of every kind): add, update, archive, "
                       "list, history, seed from the IATI activities.", no_args_is_help=True)

ArchivedOpt = Annotated[bool, typer.Option(
    "--include-archived", help="Also the archived projects (left out by default).")]
MappingOpt = Annotated[Path | None, typer.Option(
    "--mapping", help="Your DAC→SDG mapping CSV (default: the shipped one).")]
IdsOpt = Annotated[list[str] | None, typer.Option(
    "--id", help="Only these iati-identifiers (repeat).")]
IdentifierArg = Annotated[str, typer.Argument(help="The identifier.")]
DateOpt = Annotated[str | None, typer.Option(help="yyyy-mm-dd")]
KeyArg = Annotated[str, typer.Argument(help="The organisation's ref, or org:<id>.")]
CountriesOpt = Annotated[list[str] | None, typer.Option("--country",
                                                        help="ISO alpha-2 (repeat).")]
ClearOpt = Annotated[list[str] | None, typer.Option(
    "--clear", help="Empty this field (repeat), e.g. --clear name_ru.")]


@app.command("import")
def projects_import(
    ctx: typer.Context,
    paths: list[Path],
    partial: Annotated[bool, typer.Option(help="Load the valid activities; write the "
                                          "rejected ones with reasons to a file.")] = False,
    rejects: Annotated[Path | None, typer.Option(help="Where --partial writes them.")] = None,
    strict: Annotated[bool, typer.Option(help="Refuse an activity for any schema error "
                                         "(by default an error in an optional part drops "
                                         "that part and keeps the activity).")] = False,
) -> None:
    """Import IATI activity files (2.01–2.03), validated against the schema and code lists:
    an activity with a critical error (identifier, reporting organisation, a transaction's
    type, date or value) is refused; an error in an optional part (a location point, a
    budget item, an activity date...) drops that part, listed with the import."""
    if rejects is not None and not partial:
        raise SdgBridgeError("--rejects names where --partial writes the rejected activities: "
                             "add --partial, or leave --rejects out.")
    st = state(ctx)
    with progress_bar() as update:
        report = import_files(st.engine, st.settings, paths, partial, rejects, update,
                              strict=strict)
    show_import(report)


@app.command("imports")
def projects_imports(ctx: typer.Context, import_id: Annotated[int | None, typer.Argument(
        help="An import's number: its files and the parts it left out.")] = None,
                     fmt: FormatOpt = "table") -> None:
    """The IATI imports made (newest first), or one import's files and the optional parts it
    left out, by publisher and rule."""
    from sdgbridge.projects.imports import import_detail, list_imports

    engine = state(ctx).engine
    if import_id is None:
        df = list_imports(engine)
        if fmt == "table":  # the counts that matter, narrow enough for a terminal
            df = df.select("id", created=pl.col("created_at").dt.strftime("%Y-%m-%d %H:%M"),
                           files="files", read="activities_read", new="activities_new",
                           changed="activities_changed", rejected="activities_rejected",
                           dropped="dropped", transactions="transactions")
        show(df, fmt, title="IATI imports")
        return
    detail = import_detail(engine, import_id)
    show(pl.DataFrame(detail["files"]), fmt, title=f"Import {import_id}: files")
    show(detail["by_rule"], fmt, title="Parts left out, by publisher and rule")


@app.command("flat")
def projects_flat(ctx: typer.Context, out: OutOpt = None, mapping: MappingOpt = None,
                  include_archived: ArchivedOpt = False, fmt: FormatOpt = "table") -> None:
    """One row per transaction × country × sector × SDG, with the shares applied (SDGs
    inferred from DAC sectors where the publisher tags none)."""
    df = flat_export(state(ctx).engine, load_mapping(mapping) if mapping else None,
                     include_archived=include_archived)
    show_or_write(df, out, fmt)


@app.command("vs-progress")
def projects_vs_progress(ctx: typer.Context, method: MethodOpt = "unsd",
                         areas: AreasOpt = None,
                         only_flagged: Annotated[bool, typer.Option(
                             help="Only the targets with a flag.")] = False,
                         fmt: FormatOpt = "table") -> None:
    """Money against progress per country and SDG target: off-track targets with little
    support, on-track targets with a lot (by the current stored assessment of the method, or
    one made now)."""
    from sdgbridge.assessment.run import method_params
    from sdgbridge.projects.coordination import money_against_progress

    st = state(ctx)
    df = money_against_progress(st.engine, method, areas or [st.settings.default_group],
                                only_flagged=only_flagged)
    show(df, fmt, limit=300, title=f"Money (USD) against progress ({method}, "
         f"{method_params(method)['version']})")


@app.command("overlaps")
def projects_overlaps(
    ctx: typer.Context,
    min_similarity: Annotated[float, typer.Option(help="TF-IDF cosine of titles and "
                                                  "descriptions, 0-1.", min=0.0, max=1.0)
                              ] = 0.5,
    mapping: MappingOpt = None,
    out: OutOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Projects in the same country and SDG target, overlapping in time, with similar
    descriptions."""
    df = overlaps(state(ctx).engine, min_similarity=min_similarity,
                  mapping=load_mapping(mapping) if mapping else None)
    show_or_write(df, out, fmt, f"{df.height:,} overlapping pairs")


@app.command("network")
def projects_network(ctx: typer.Context, out: OutOpt = None, fmt: FormatOpt = "table"
                     ) -> None:
    """The partner network: who co-funds, co-implements or funds whom; UN joint work."""
    df = partner_network(state(ctx).engine)
    show_or_write(df, out, fmt, f"{df.height:,} partner links")


@app.command("export")
def projects_export(ctx: typer.Context, out: Path, identifier: IdsOpt = None) -> None:
    """Export projects as IATI 2.03 XML (checked against the schema before it is written)."""
    st = state(ctx)
    export_activities(st.engine, out, identifier or None,
                      schema_path=st.settings.iati_schema)
    console.print(f"Wrote {out} (IATI 2.03, valid against {st.settings.iati_schema.name}).",
                  markup=False)


@app.command("list")
def projects_list(ctx: typer.Context,
                  country: Annotated[str | None, typer.Option(help="ISO 3166 alpha-2 "
                                                              "(KZ).")] = None,
                  include_archived: ArchivedOpt = False, fmt: FormatOpt = "table") -> None:
    """List the projects (by recipient country on the activity or its transactions)."""
    show(project_table(state(ctx).engine, country, include_archived=include_archived), fmt,
         limit=100)


@app.command("history")
def projects_history(ctx: typer.Context, identifier: str, fmt: FormatOpt = "table") -> None:
    """What changed in a project, import by import."""
    show(project_history(state(ctx).engine, identifier), fmt)


@app.command("3w")
def projects_3w(ctx: typer.Context, out: OutOpt = None, include_archived: ArchivedOpt = False,
                fmt: FormatOpt = "table") -> None:
    """Who does what where: organisation × country × DAC sector × year, with money."""
    show_or_write(three_w(state(ctx).engine, include_archived=include_archived), out, fmt)


# ---- projects entered by hand -----------------------------------------------------------

def changed_fields(given: dict[str, Any], clear: list[str] | None) -> dict[str, Any]:
    """The options given (not None), and the fields to clear (set to None)."""
    changes = {k: v for k, v in given.items() if v is not None and v != []}
    for name in clear or []:
        if name in changes:
            raise SdgBridgeError(f"--clear {name} and a new value for {name}: give one.")
        changes[name] = None
    return changes


def show_changes(what: str, diff: dict[str, list[Any]]) -> None:
    """The fields an update changed, old -> new."""
    if not diff:
        say(f"{what}: no change (the values given are the stored ones).")
        return
    say(f"{what} updated:")
    for name, (old, new) in diff.items():
        say(f"  {name}: {old!r} -> {new!r}")


def _participant(text: str) -> tuple[str, str]:
    role, sep, ref = text.partition(":")
    if not sep or not ref.strip():
        raise SdgBridgeError(f"--participant {text!r}: write ROLE:REF, e.g. 4:XM-DAC-41114 "
                             "(roles: 1 funding, 2 accountable, 3 extending, 4 implementing).")
    return role.strip(), ref.strip()


@app.command("create")
def project_create(
    ctx: typer.Context,
    identifier: Annotated[str, typer.Argument(help="The IATI identifier.")],
    title: Annotated[str, typer.Option(help="The English title.")],
    org: Annotated[str, typer.Option(help="The reporting organisation's ref (registered).")],
    status: Annotated[str, typer.Option(help="ActivityStatus: 1 pipeline, 2 implementation, "
                                        "3 finalisation, 4 closed …")],
    country: CountriesOpt = None,
    sector: Annotated[list[str] | None, typer.Option(help="DAC 5-digit (repeat).")] = None,
    title_ru: Annotated[str | None, typer.Option(help="The Russian title.")] = None,
    description: Annotated[str | None, typer.Option(help="English description.")] = None,
    planned_start: DateOpt = None,
    planned_end: DateOpt = None,
    participant: Annotated[list[str] | None, typer.Option(
        help="ROLE:REF of a registered organisation (repeat).")] = None,
) -> None:
    """Create a project by hand (not from an IATI file)."""
    st = state(ctx)
    ident = create_project(
        st.engine, identifier=identifier, title_en=title, reporting_org_ref=org,
        status=status, countries=country or (), sectors=sector or (), title_ru=title_ru,
        description_en=description, planned_start=planned_start, planned_end=planned_end,
        participants=[_participant(p) for p in participant or []],
        codelists=st.codelists(), origin=ORIGIN)
    say(f"Project {ident} created.")


@app.command("update")
def project_update(
    ctx: typer.Context,
    identifier: Annotated[str, typer.Argument(help="The project's identifier.")],
    title: Annotated[str | None, typer.Option(help="The English title.")] = None,
    title_ru: Annotated[str | None, typer.Option(help="The Russian title.")] = None,
    description: Annotated[str | None, typer.Option(help="English description.")] = None,
    description_ru: Annotated[str | None, typer.Option(help="Russian description.")] = None,
    status: Annotated[str | None, typer.Option(help="ActivityStatus code.")] = None,
    planned_start: DateOpt = None,
    actual_start: DateOpt = None,
    planned_end: DateOpt = None,
    actual_end: DateOpt = None,
    clear: ClearOpt = None,
) -> None:
    """Change fields of a project made by hand (only those given)."""
    changes = changed_fields({
        "title_en": title, "title_ru": title_ru, "description_en": description,
        "description_ru": description_ru, "status": status, "planned_start": planned_start,
        "actual_start": actual_start, "planned_end": planned_end, "actual_end": actual_end},
        clear)
    if not changes:
        raise SdgBridgeError("Nothing to change: give --title, --status, a date, … "
                             "or --clear FIELD.")
    st = state(ctx)
    show_changes(f"Project {identifier}", update_project(st.engine, identifier,
                                                         st.codelists(), ORIGIN, **changes))


@app.command("archive")
def project_archive(ctx: typer.Context, identifier: IdentifierArg) -> None:
    """Archive a project made by hand (kept with its history)."""
    done = archive_project(state(ctx).engine, identifier, ORIGIN)
    say(f"Project {identifier} {'archived' if done else 'was already archived'}.")


@app.command("restore")
def project_restore(ctx: typer.Context, identifier: IdentifierArg) -> None:
    """Undo an archive: the project is listed again (recorded in its history)."""
    done = restore_project(state(ctx).engine, identifier, ORIGIN)
    say(f"Project {identifier} {'restored' if done else 'was not archived'}.")


# ---- results (IATI `result`) --------------------------------------------------------------

@app.command("results")
def projects_results(
    ctx: typer.Context,
    identifier: IdsOpt = None,
    min_similarity: Annotated[float, typer.Option(
        help="Least title similarity (TF-IDF cosine, 0-1) for an inferred SDG link.",
        min=0.0, max=1.0)
    ] = MIN_SIMILARITY,
    include_archived: ArchivedOpt = False,
    fmt: FormatOpt = "table",
) -> None:
    """Results of projects: indicators, baselines, targets and actuals per period, each with
    its SDG indicator (declared by the publisher, or inferred from its title) and series."""
    df = project_results(state(ctx).engine, identifier or None, min_similarity=min_similarity,
                         include_archived=include_archived)
    show(df, fmt, title=f"{df.height:,} result indicator rows (one per period)", limit=200)


# ---- organisations ----------------------------------------------------------------------

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


@orgs_app.command("update")
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


@orgs_app.command("archive")
def orgs_archive(ctx: typer.Context, key: KeyArg) -> None:
    """Archive an organisation (kept with its history, left out of lists)."""
    done = archive_org(state(ctx).engine, key, ORIGIN)
    say(f"Organisation {key} {'archived' if done else 'was already archived'}.")


@orgs_app.command("restore")
def orgs_restore(ctx: typer.Context, key: KeyArg) -> None:
    """Undo an archive: the organisation is listed again (recorded in its history)."""
    done = restore_org(state(ctx).engine, key, ORIGIN)
    say(f"Organisation {key} {'restored' if done else 'was not archived'}.")


@orgs_app.command("list")
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


@orgs_app.command("history")
def orgs_history(ctx: typer.Context, key: KeyArg, fmt: FormatOpt = "table") -> None:
    """Every change of an organisation, oldest first."""
    show(org_history(state(ctx).engine, key), fmt, limit=500)


@orgs_app.command("seed-from-iati")
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
