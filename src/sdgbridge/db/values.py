"""How the store keeps an observation's value, and writes it back as text.

``observation.value`` is a float; ``value_text`` keeps the source's text only where the
float would not write it back the same (``<0.5``, ``NaN``, ``12.50``). The float is
written back as text by one rule, here twice: as a Polars expression over frames
(:func:`render_value`) and for one Python float (:func:`value_text`).
"""

from __future__ import annotations

import math

import polars as pl


def render_value(col: str = "value") -> pl.Expr:
    """How a stored float is written back as text: integers without ``.0``."""
    v = pl.col(col)
    integral = v.is_finite() & (v == v.floor()) & (v.abs() < 1e15)
    return pl.when(integral).then(v.cast(pl.Int64).cast(pl.Utf8)).otherwise(v.cast(pl.Utf8))


def value_text(value: float | None) -> str | None:
    """A stored float as text the way :func:`render_value` writes it: integers without
    ``.0``; otherwise the shortest text that reads back the same float, in positional
    notation from 1e-5 up to 1e16 and ``1.5e-7`` / ``1.5e+16`` outside."""
    if value is None:
        return None
    text = repr(value)
    if text[-2:] == ".0":  # most stored values: an integer below 1e16 ("-0.0" too)
        return (text[:-2] if -1e15 < value < 1e15 else text) if value else "0"
    if "e" not in text and "n" not in text:  # positional, finite ("nan", "inf" have an n)
        return text
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value == math.floor(value) and abs(value) < 1e15:
        return str(int(value))
    if "e-" not in text:
        return text
    mantissa, exponent = text.split("e-")
    if int(exponent) > 5:
        return f"{mantissa}e-{int(exponent)}"
    sign, digits = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
    return f"{sign}0.{'0' * (int(exponent) - 1)}{digits.replace('.', '')}"
