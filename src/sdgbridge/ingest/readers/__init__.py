"""Built-in readers, registered in the order they are tried (the import order below)."""
# isort: skip_file
# ruff: noqa: I001, F401

from sdgbridge.ingest.readers import ddf
from sdgbridge.ingest.readers import sdg_api
from sdgbridge.ingest.readers import opensdg
from sdgbridge.ingest.readers import sdmx
