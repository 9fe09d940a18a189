"""Roadmaps and commitments (issue 17): a roadmap (a joint roadmap, a national plan, a
joint programme) has priority areas and commitments; each commitment names its responsible
organisations, countries, deadline, milestones, SDG targets, projects and key performance
indicators bound to series of the store, whose status the progress methods give from the
data (:mod:`.kpis`). :mod:`.model` reads a roadmap file, :mod:`.service` stores it,
:mod:`.queries` reads it back.

``EXAMPLE`` is the example roadmap shipped with the project (the Central Asia–EU
cooperation themes, every KPI bound to a real series; ``make demo`` loads it)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

EXAMPLE = Path(str(files("sdgbridge.roadmaps").joinpath("data/ca_eu_example.yaml")))
