"""Who may read which project: the visibility of an activity (public, partners, internal;
:data:`sdgbridge.accounts.roles.VISIBILITIES`) against what the current actor reads
(:func:`sdgbridge.accounts.roles.read_limits`). IATI files are published, so their
activities are public; a project made by hand may be for partners only, or internal.

Every read of the projects goes through :func:`shown` (lists, a project, its history, 3W,
the flat export, overlaps, the partner network), and the frames kept for the pages are kept
per class of reader (:func:`reader_class`), so that what one reader may see is never
answered to another.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select, true

from sdgbridge.accounts.roles import read_limits, readable_condition
from sdgbridge.actors import Actor, current_actor
from sdgbridge.db import tables as t


def readable(actor: Actor | None = None) -> ColumnElement[bool] | None:
    """The activities ``actor`` (default: the current one) may read, as a condition on
    ``iati_activity``; None when it reads them all. A partner editor's own organisation's
    are those it reports."""
    a = t.iati_activity.c
    return readable_condition(
        a.visibility, lambda own: a.reporting_org_ref.in_(
            select(t.organisation.c.ref).where(t.organisation.c.id == own)), actor)


def shown(include_archived: bool = False, actor: Actor | None = None) -> ColumnElement[bool]:
    """The activities a listing shows: not archived (unless ``include_archived``) and
    readable by ``actor``."""
    a = t.iati_activity.c
    conds: list[ColumnElement[bool]] = [] if include_archived else [a.archived.is_(False)]
    visible = readable(actor)
    if visible is not None:
        conds.append(visible)
    return and_(true(), *conds)


def reader_class(actor: Actor | None = None) -> str:
    """A key for what ``actor`` may read: the same for every reader who sees the same
    projects' visibilities ("all" for those who read everything)."""
    limits = read_limits(actor or current_actor())
    if limits is None:
        return "all"
    return ",".join(limits[0]) + (f"+org{limits[1]}" if limits[1] is not None else "")
