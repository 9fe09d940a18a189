"""The HTML dashboard: server-rendered pages in English and Russian over the same library
functions as the JSON API (``/api/v1``), so that a page and its API answer cannot disagree.
One module per page, each with its ``router``; they share :mod:`.base` (the templates, the
language, rendering, errors), :mod:`.progress` (the current assessment for a page),
:mod:`.charts` and :mod:`.maps`, never each other.

* ``/``: the region's goals × countries heatmap for a method, headline values, the latest
  data release and what it changed (:mod:`.home`);
* ``/country/{code}``: goal and target status, off-track targets, trends, data gaps, who works
  there on what with how much (:mod:`.country`); ``/country/{code}/goal/{goal}``: the series
  behind a goal cell and the rule that decided each (:mod:`.goal`);
* ``/indicator``: a series over time per country, by disaggregation, with its 2030 projection
  and target, as a chart and a table, with a CSV download; ``/map``: a choropleth of the
  region for any series (:mod:`.explore`);
* ``/coordination``: 3W, money against progress per target, overlaps (:mod:`.coordination`);
* ``/knowledge``: search across languages with filters; ``/knowledge/{id}``: a document
  with its SDG tags and documents like it (:mod:`.knowledge`);
* ``/roadmaps``: roadmaps, one with its KPI lights from the data and report lights, a review
  with its frozen evidence and what changed (:mod:`.roadmaps`);
* ``/requests``: technical-assistance requests, a new one, one with its context, thread
  and actions (:mod:`.requests`).
"""
