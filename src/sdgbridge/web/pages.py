"""The HTML dashboard: server-rendered pages in English and Russian over the same library
functions as the JSON API (``/api/v1``), so that a page and its API answer cannot disagree.

* ``/``: the region's goals × countries heatmap for a method, headline values, the latest
  data release and what it changed (:mod:`~sdgbridge.web.pages_home`);
* ``/country/{code}``: goal and target status, off-track targets, trends, data gaps, who works
  there on what with how much (:mod:`~sdgbridge.web.pages_home`);
* ``/indicator``: a series over time per country, by disaggregation, with its 2030 projection
  and target, as a chart and a table, with a CSV download (:mod:`~sdgbridge.web.pages_explore`);
* ``/map``: a choropleth of the region for any series (:mod:`~sdgbridge.web.pages_explore`);
* ``/coordination``: 3W, money against progress per target, overlaps
  (:mod:`~sdgbridge.web.pages_coordination`).
* ``/knowledge``: search across languages with filters; ``/knowledge/{id}``: a document
  with its SDG tags and documents like it (:mod:`~sdgbridge.web.pages_knowledge`).
"""

from __future__ import annotations

from fastapi import APIRouter

from sdgbridge.web import pages_coordination, pages_explore, pages_home, pages_knowledge
from sdgbridge.web.pages_base import STATIC_DIR, error_page

router = APIRouter(include_in_schema=False)
for module in (pages_home, pages_explore, pages_coordination, pages_knowledge):
    router.include_router(module.router)

__all__ = ["STATIC_DIR", "error_page", "router"]
