"""Query and export the stored observations as Polars frames."""

from sdgbridge.query.export import export_frame
from sdgbridge.query.observations import ObservationQuery, diff_releases, query_observations
from sdgbridge.query.published import sdr_published

__all__ = ["ObservationQuery", "diff_releases", "export_frame", "query_observations",
           "sdr_published"]
