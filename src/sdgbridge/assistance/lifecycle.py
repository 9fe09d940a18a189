"""A technical-assistance request's lifecycle, as one declared table (issue 16).

The model is the EU's TAIEX request system: a ministry files a request; the Centre assesses
it, matches it to expertise; the expert or partner accepts and delivers; the requester closes
it with feedback. Every change of state is one row of :data:`TRANSITIONS`: from a state, to a
state, by whom (the ``requester``: a focal point of the request's country; the ``centre``:
its analysts and administrators; the ``candidate``: the picked expert or partner), and
whether a reason must be given. Any other change is refused, and nothing is written.

:data:`STAGE_DAYS` are the service levels: how long a request may stay in a state before it
is overdue.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

STATES = ("draft", "submitted", "triaged", "matched", "accepted", "in_progress", "delivered",
          "closed", "declined", "withdrawn")
FINAL = ("closed", "declined", "withdrawn")
KINDS = ("policy_advice", "statistics_and_data", "capacity_building", "project_design",
         "peer_exchange")
URGENCIES = ("low", "normal", "high")
PARTIES = ("requester", "centre", "candidate")


class Transition(NamedTuple):
    source: str
    target: str
    by: tuple[str, ...]  # the parties that may make it
    reason: bool = False  # a reason must be given


TRANSITIONS: tuple[Transition, ...] = (
    Transition("draft", "submitted", ("requester", "centre")),
    Transition("submitted", "triaged", ("centre",)),
    Transition("triaged", "matched", ("centre",)),  # once a candidate is picked
    Transition("matched", "accepted", ("candidate", "centre")),
    Transition("matched", "triaged", ("candidate", "centre"), reason=True),  # declined
    Transition("accepted", "in_progress", ("candidate", "centre")),
    Transition("in_progress", "delivered", ("candidate", "centre")),
    Transition("delivered", "closed", ("requester", "centre")),  # with feedback
    *(Transition(state, "declined", ("centre",), reason=True)
      for state in ("submitted", "triaged", "matched")),
    *(Transition(state, "withdrawn", ("requester", "centre"), reason=True)
      for state in ("draft", "submitted", "triaged", "matched", "accepted", "in_progress")),
)
# Days a request may stay in a state (the time the next party has to act).
STAGE_DAYS = {"submitted": 5, "triaged": 10, "matched": 7, "accepted": 14,
              "in_progress": 90, "delivered": 30}

_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}


def transition(source: str, target: str) -> Transition | None:
    """The row for ``source`` → ``target``, or None when that change is not allowed."""
    return _BY_PAIR.get((source, target))


def next_states(source: str) -> list[str]:
    """The states a request in ``source`` may go to, in the table's order."""
    return [t.target for t in TRANSITIONS if t.source == source]


def aware(value: datetime) -> datetime:
    """``value`` in UTC (SQLite gives times back without their zone)."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def due_at(state: str, since: datetime) -> datetime | None:
    """When a request in ``state`` since ``since`` is due to move on (None for a draft or a
    finished one)."""
    days = STAGE_DAYS.get(state)
    return None if days is None else aware(since) + timedelta(days=days)
