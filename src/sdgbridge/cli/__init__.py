"""The command line, ``sdgbridge``: a thin shell over the library, one module per command
group (see :mod:`sdgbridge.cli.app`)."""

from sdgbridge.cli.app import app, main

__all__ = ["app", "main"]
