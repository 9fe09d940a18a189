"""The errors sdgbridge raises on purpose. Every message says what to do next.

::

    SdgBridgeError (400)
     ├── ConfigError                 bad settings or settings file
     ├── NotFound (404)
     │    ├── UnknownSeries
     │    ├── UnknownArea
     │    ├── UnknownRelease
     │    └── UnknownDocument
     ├── InputError                  a file that cannot be read at all
     │    ├── NoReader               no reader handles the file
     │    ├── UnsafeXml              entity expansion / external entities refused
     │    └── DocumentError          a document (PDF, DOCX, HTML, ...) whose text cannot be read
     ├── Forbidden (403)             the actor's role does not allow this (accounts.roles)
 ├── IngestRejected (422)        rows failed validation; nothing was written
     ├── DatabaseError (503)         the store cannot be reached or is not migrated
     │    └── StoreFull (507)        a disk filled up while writing; nothing was written
     ├── BackupError                 a backup that cannot be made or restored
     └── SyncError (502)             the UNSD SDG API answered badly

Anything that is not an ``SdgBridgeError`` is a bug and is left to raise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


def N_(message: str) -> str:
    """Marks ``message`` as a text the interface translates (Babel extracts ``N_``); returns
    it unchanged. An error raised as ``SdgBridgeError(N_("... {name} ..."), name=value)``
    reads in English on the command line and in the page's language on the web."""
    return message


class Phrase(str):
    """A value of an error's template that is itself a text to translate (a role, the
    right to ask for): ``Forbidden(N_("... ask for {ask}"), ask=Phrase(N_("an editor")))``."""


class Nested(str):
    """A value of an error's template that is itself a template with values: the problem
    after a place (``N_("{file}, line {line}: {problem}")``,
    ``problem=Nested(N_("{value!r} is not a year."), value=v)``). Reads as the English
    text filled in; a page translates it too (:meth:`render`)."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, /, **params: object) -> Nested:
        made = super().__new__(cls, template.format(**params) if params else template)
        made.template, made.params = template, params
        return made

    def render(self, gettext: Callable[[str], str]) -> str:
        """The text in the language of ``gettext`` (English when it has no translation)."""
        values = {k: gettext(v) if isinstance(v, Phrase) else v for k, v in self.params.items()}
        try:
            return gettext(self.template).format(**values) if values else \
                gettext(self.template)
        except (KeyError, IndexError, ValueError):
            return str(self)


class SdgBridgeError(Exception):
    """Base of all expected errors; ``status`` is the HTTP status for the web layer;
    ``public``, when set, the message public answers (the web) give instead of ``str(self)``,
    which may name what only a local user should see (a server path); or ``public_params``,
    the values public answers fill the template with instead (``{"file": "a.xml"}``).

    The message may be a template with ``{name}`` fields and the values as keywords; the
    template (marked with :func:`N_`) is then what a page translates (:meth:`translated`)."""

    status = 400
    public: str | None = None
    public_params: dict[str, object] | None = None

    def __init__(self, message: str = "", /, **params: object) -> None:
        self.template = message
        self.params = params
        super().__init__(message.format(**params) if params else message)

    def public_message(self) -> str:
        """The message for a public answer: ``public``, else the template filled in with
        ``public_params`` in place of the values they name (a file's name for its server
        path), else the message."""
        if self.public is not None:
            return self.public
        if self.public_params:
            return self.template.format(**(self.params | self.public_params))
        return str(self)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The public message in the language of ``gettext``: its template translated and
        filled in; the English message when the template has no translation (or when the
        error carries a ``public`` message of its own)."""
        if self.public is not None or not self.template:
            return self.public_message()
        template = gettext(self.template)
        if template == self.template:
            return self.public_message()
        params = {k: v.render(gettext) if isinstance(v, Nested) else
                  gettext(v) if isinstance(v, Phrase) else v
                  for k, v in (self.params | (self.public_params or {})).items()}
        try:
            return template.format(**params) if params else template
        except (KeyError, IndexError, ValueError):  # a translation with other fields
            return self.public_message()


class ConfigError(SdgBridgeError):
    """The settings are invalid."""


class NotFound(SdgBridgeError):
    status = 404


class UnknownSeries(NotFound):
    def __init__(self, codes: Sequence[str]) -> None:
        super().__init__(
            f"No series {', '.join(sorted(codes))} in the store. "
            "Run `sdgbridge series` to list the loaded series codes."
        )


class UnknownArea(NotFound):
    def __init__(self, codes: Sequence[str]) -> None:
        super().__init__(
            f"Unknown area or group {', '.join(sorted(codes))}. Use an M49 code (398), an "
            "ISO 3166 alpha-3 code (KAZ) or a group code; `sdgbridge areas` lists them."
        )


class UnknownCode(NotFound):
    def __init__(self, codes: Sequence[str]) -> None:
        super().__init__(
            f"No {', '.join(codes)} in the SDG framework. Goals are 1-17, targets like 6.1 or "
            "6.a, indicators like 6.1.1; `sdgbridge framework show` lists them."
        )


class UnknownRelease(NotFound):
    def __init__(self, release: object) -> None:
        super().__init__(
            f"No release {release!r}. Run `sdgbridge releases` to list the releases."
        )


class UnknownDocument(NotFound):
    def __init__(self, doc_id: object) -> None:
        super().__init__(f"No document {doc_id!r} in the knowledge base. "
                         "Run `sdgbridge docs list` to see the documents and their ids.")


class InputError(SdgBridgeError):
    """A source file cannot be read at all (wrong format, broken, wrong encoding)."""


class NoReader(InputError):
    def __init__(self, path: object, tried: Sequence[str]) -> None:
        super().__init__(
            f"{path}: no reader recognises this input (tried {', '.join(tried)}). "
            "Name the format with --format, or see `sdgbridge formats`."
        )


class UnsafeXml(InputError):
    """XML that declares entities or a DTD: refused, never expanded."""


class DocumentError(InputError):
    """A document for the knowledge base whose text cannot be extracted (encrypted, corrupt,
    too large, unknown format or encoding, no text); the message names the file."""


@dataclass(frozen=True)
class Rejection:
    """One rejected row: where it is and why."""

    file: str
    line: int | str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class IngestRejected(SdgBridgeError):
    status = 422

    def __init__(self, rejections: Sequence[Rejection], shown: int = 10) -> None:
        self.rejections = list(rejections)
        lines = "\n".join(f"  {r}" for r in self.rejections[:shown])
        more = len(self.rejections) - shown
        tail = f"\n  … and {more} more" if more > 0 else ""
        super().__init__(
            f"{len(self.rejections)} row(s) rejected; nothing was written.\n{lines}{tail}\n"
            "Fix the rows above, or load the valid rows with --partial "
            "(the rejected ones are then written with their reasons to a file)."
        )


class Forbidden(SdgBridgeError):
    """The actor may not do this (:mod:`sdgbridge.accounts.roles`); the message says what
    it may not do and whom to ask for the right."""

    status = 403


class DatabaseError(SdgBridgeError):
    status = 503


class StoreFull(DatabaseError):
    """A disk filled up while writing: the store's, or the temporary folder's."""

    status = 507

    def __init__(self) -> None:
        super().__init__(
            "The disk is full: the store (or the temporary folder a load writes its staging "
            "files to) could not grow. Nothing was written: the store is as it was before this "
            "command. Free some space (`sdgbridge settings` shows database_url; TMPDIR sets "
            "the temporary folder), then run the command again.")


class BackupError(SdgBridgeError):
    """A backup cannot be made, or restored (damaged, too new, other dialect, a target
    that is not empty); the message names the file or store."""


class SyncError(SdgBridgeError):
    status = 502
