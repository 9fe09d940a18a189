"""The frames an IATI file is parsed into (the contract between the parser and the store).

:class:`IatiBatch` holds one Polars frame per kind of record, all keyed by the activity's
``iati_identifier``; every frame has the columns listed in :data:`FRAMES` (strings unless
said otherwise; nulls where the file has nothing). ``seq`` numbers repeated elements of one
activity in document order (0, 1, …); results nest, so an indicator has its result's
``result_seq`` and its own ``seq``, a period or reference also its ``indicator_seq``.
``rejections`` lists activities refused with why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from sdgbridge.errors import Rejection

F64, I64, S, B = pl.Float64(), pl.Int64(), pl.String(), pl.Boolean()
FRAMES: dict[str, dict[str, pl.DataType]] = {
    "activities": {"iati_identifier": S, "reporting_org_ref": S, "reporting_org_name": S,
                   "reporting_org_type": S, "title_en": S, "title_ru": S, "title_other": S,
                   "description_en": S, "description_ru": S, "status": S,
                   "default_currency": S, "default_lang": S, "planned_start": S,
                   "actual_start": S, "planned_end": S, "actual_end": S, "hierarchy": S,
                   "last_updated": S, "iati_version": S, "source_file": S, "line": I64},
    "participants": {"iati_identifier": S, "seq": I64, "role": S, "ref": S, "type": S,
                     "name": S},
    "countries": {"iati_identifier": S, "code": S, "percentage": F64},
    "regions": {"iati_identifier": S, "code": S, "vocabulary": S, "percentage": F64},
    "sectors": {"iati_identifier": S, "vocabulary": S, "code": S, "percentage": F64},
    "tags": {"iati_identifier": S, "vocabulary": S, "code": S},
    "transactions": {"iati_identifier": S, "seq": I64, "type": S, "date": S, "value": F64,
                     "currency": S, "value_date": S, "provider_ref": S, "provider_name": S,
                     "receiver_ref": S, "receiver_name": S, "description": S,
                     "country": S, "region": S, "sector_dac": S, "sector_other": S,
                     "sector_other_vocabulary": S, "flow_type": S, "finance_type": S,
                     "aid_type": S},
    "budgets": {"iati_identifier": S, "seq": I64, "type": S, "status": S,
                "period_start": S, "period_end": S, "value": F64, "currency": S,
                "value_date": S},
    "documents": {"iati_identifier": S, "seq": I64, "url": S, "format": S, "title": S,
                  "category": S},
    # Results (:mod:`.iati.results`): result → indicator → its references and periods.
    "results": {"iati_identifier": S, "seq": I64, "type": S, "aggregation_status": B,
                "title": S, "description": S},
    "indicators": {"iati_identifier": S, "result_seq": I64, "seq": I64, "measure": S,
                   "ascending": B, "aggregation_status": B, "title": S, "description": S,
                   "baseline_year": I64, "baseline_iso_date": S, "baseline_value": S},
    "indicator_refs": {"iati_identifier": S, "result_seq": I64, "indicator_seq": I64,
                       "seq": I64, "vocabulary": S, "code": S, "indicator_uri": S},
    "periods": {"iati_identifier": S, "result_seq": I64, "indicator_seq": I64, "seq": I64,
                "period_start": S, "period_end": S, "target_value": S, "actual_value": S},
}


def empty(kind: str) -> pl.DataFrame:
    return pl.DataFrame(schema=FRAMES[kind])


@dataclass
class IatiBatch:
    """The parsed content of one or more IATI activity files."""

    frames: dict[str, pl.DataFrame] = field(
        default_factory=lambda: {k: empty(k) for k in FRAMES})
    rejections: list[Rejection] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
