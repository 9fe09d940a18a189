"""The built-in readers, in the order they are tried
(:func:`sdgbridge.ingest.registry.get_reader`)."""

from sdgbridge.ingest.model import Reader
from sdgbridge.ingest.readers.ddf import DdfReader
from sdgbridge.ingest.readers.opensdg import OpenSdgReader
from sdgbridge.ingest.readers.sdg_api import SdgApiReader
from sdgbridge.ingest.readers.sdmx import SdmxReader
from sdgbridge.ingest.readers.sdr import SdrReader
from sdgbridge.ingest.readers.values import ValuesReader

# SdrReader and ValuesReader last: each takes only CSV files with its own columns, so the
# order never matters for them, and the other formats keep their precedence.
READERS: list[type[Reader]] = [DdfReader, SdgApiReader, OpenSdgReader, SdmxReader, SdrReader,
                               ValuesReader]
