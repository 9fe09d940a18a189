"""The store: engines, tables and migrations."""
