"""Built-in readers, registered in the order they are tried."""

from sdgbridge.ingest.readers import ddf, sdg_api, sdmx  # noqa: F401
