"""A roadmap's own series: the ones its file defines (``series:``, :mod:`.model`) for what
no official database measures, such as freight on a corridor or electricity
interconnection capacity. Their values load from a CSV file (``series,country,year,value``,
with ``units``, ``source`` and ``footnote`` optional) by :func:`load_values`, through the
same ingest as any data: the same validation (each refused row named by file, line and
field; nothing written unless a partial load is asked for), a data release with the file's
checksum, and supersession. So a KPI on such a series gets its light from the progress
method exactly as one on a UNSD series does.

As with any release, a file gives the whole history of each series × country it covers: a
value it leaves out of such a pair is marked removed.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from sdgbridge.accounts.roles import check
from sdgbridge.actors import current_actor
from sdgbridge.errors import N_, InputError
from sdgbridge.ingest.load import IngestReport, Progress, ingest
from sdgbridge.ingest.readers.values import SeriesInfo, ValuesReader
from sdgbridge.roadmaps.queries import own_series

LOCAL_VIAS = ("cli", "system")


def load_values(engine: Engine, key: str, path: Path, *, partial: bool = False,
                rejects_path: Path | None = None,
                progress: Progress | None = None) -> IngestReport:
    """Load the values of the roadmap ``key``'s own series from the CSV at ``path`` as a new
    data release (see the module's docstring)."""
    actor = current_actor()
    if actor.via not in LOCAL_VIAS:
        check(actor, "update", "roadmap", what=key)
    own = own_series(engine, key)
    if not own:
        raise InputError(N_("The roadmap {key} defines no series of its own: define them "
                            "under series: in its file (docs/roadmaps.md), then load their "
                            "values."), key=key)
    definitions = {x["code"]: SeriesInfo(
        publisher=x["publisher"], units=x["units"], description=x["description"],
        description_ru=x["description_ru"], indicators=",".join(x["indicators"]) or None)
        for x in own}
    reader = ValuesReader(definitions, what=f"the roadmap {key}")
    return ingest(engine, path, reader=reader, partial=partial, rejects_path=rejects_path,
                  progress=progress, source=f"{key}: own series ({path.name})")
