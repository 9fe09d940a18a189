"""The progress-assessment methods: pure functions over Polars frames (see ``..model``)."""
