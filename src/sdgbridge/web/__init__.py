"""The web layer: a FastAPI app (:func:`sdgbridge.web.app.create_app`) over the same library
functions as the command line: ``api/`` one JSON router per capability, ``pages/`` one module
per page."""
