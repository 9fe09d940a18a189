"""The web layer: a FastAPI app over the same library functions as the CLI."""

from sdgbridge.web.app import create_app

__all__ = ["create_app"]
