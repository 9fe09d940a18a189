"""Ingest: readers for each source format, validation, and loading as releases."""
