"""The built-in readers, in the order they are tried
(:func:`sdgbridge.ingest.registry.get_reader`)."""

from sdgbridge.ingest.model import Reader
from sdgbridge.ingest.readers.ddf import DdfReader
from sdgbridge.ingest.readers.opensdg import OpenSdgReader
from sdgbridge.ingest.readers.sdg_api import SdgApiReader
from sdgbridge.ingest.readers.sdmx import SdmxReader
from sdgbridge.ingest.readers.sdr import SdrReader

# SdrReader last: it takes only CSV files with the SDR score columns, so the order never
# matters for it, and the other formats keep their precedence.
READERS: list[type[Reader]] = [DdfReader, SdgApiReader, OpenSdgReader, SdmxReader, SdrReader]
