"""sdgbridge: official SDG indicator data, progress, coordination and knowledge for a
regional SDG centre. The library lives in the subpackages (``reference``, ``ingest``,
``query``, ``assessment``, ``projects``, ``knowledge``); ``cli`` and ``web`` are thin shells
over them. Importing this package imports nothing else."""

__version__ = "0.1.0"
