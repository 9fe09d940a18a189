"""Built-in readers, registered in the order they are tried."""

from sdgbridge.ingest.readers import ddf, sdg_api  # noqa: F401
