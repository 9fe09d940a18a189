"""The HTTP protocol ``sdgbridge serve`` runs uvicorn with: httptools (uvicorn's fastest),
with a limit on the size of a request's head.

uvicorn bounds a head only with h11 (``h11_max_incomplete_event_size``); with httptools a
head of any size is gathered (a 50 MB header was accepted). :class:`HeadLimitHttpTools`
honours the same uvicorn setting, so ``--http h11`` and this protocol refuse the same heads.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from sdgbridge.web.limits import error_bytes


class HeadLimitHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol refusing (431, connection closed) a request whose head
    (request line and headers) passes ``h11_max_incomplete_event_size`` bytes: httptools
    would otherwise gather a head of any size."""

    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.max_head: int | None = config.h11_max_incomplete_event_size
        self.head_bytes = 0
        self.in_head = True

    def data_received(self, data: bytes) -> None:
        if self.in_head:
            self.head_bytes += len(data)
        super().data_received(data)
        # Still in the head after all of ``data``: every byte counted is the head's.
        if self.in_head and self.max_head is not None and self.head_bytes > self.max_head:
            self.in_head = False
            body = error_bytes(f"The request's headers are over this server's limit of "
                               f"{self.max_head:,} bytes (the max_header_bytes setting).", 431)
            self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                                 b"content-type: application/json\r\nconnection: close\r\n"
                                 b"content-length: " + str(len(body)).encode() + b"\r\n\r\n"
                                 + body)
            self.transport.close()

    def on_headers_complete(self) -> None:
        self.in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.in_head, self.head_bytes = True, 0
