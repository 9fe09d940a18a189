"""The JSON API (``/api/v1``): one router module per capability, each route a call to the
library (parse, call, answer), mounted by :func:`sdgbridge.web.app.create_app`.

* :mod:`.reference`: areas, groups, series, the SDG framework with its titles;
* :mod:`.data`: observations, releases, the dashboard summary;
* :mod:`.progress`: assessment runs and their results, data gaps;
* :mod:`.projects`: projects, 3W, money against progress, overlaps, the partner network, and
  the projects made by hand;
* :mod:`.orgs`: the partner registry and its writes;
* :mod:`.knowledge`: documents, search, "more like this", plan alignment, records typed in,
  tag corrections.

Listings answer ``{"ok": true, "total": n, "rows": [...]}`` (:class:`.models.Page`); errors
have the shape made in :mod:`sdgbridge.web.app` (:class:`.models.ErrorBody`). The answers'
and bodies' shapes are in :mod:`.models`.
"""
