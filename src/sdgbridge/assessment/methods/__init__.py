"""The progress-assessment methods: pure functions over Polars frames (see ``..model``).

Each method's module declares its record, ``METHOD`` (a
:class:`~sdgbridge.assessment.model.Method`: name, label, the function, whether it needs
the world's data, its own aggregates); :data:`METHODS` lists them in the order they are
offered. Adding a method: its module, its ``params/<name>.toml``, and a line below.
"""

from sdgbridge.assessment.methods import escap, opensdg, sdsn, unsd
from sdgbridge.assessment.model import Method

METHODS: dict[str, Method] = {m.name: m for m in (unsd.METHOD, escap.METHOD, sdsn.METHOD,
                                                  opensdg.METHOD)}
