"""IATI activity files, read and written: files and schema (:mod:`.files`), one activity
(:mod:`.activity`, its results :mod:`.results`, both reading elements through
:mod:`.elements`), the batch of files (:mod:`.parse`), the code lists (:mod:`.codelists`),
and the stored activities back out as an IATI file (:mod:`.export`)."""

from pathlib import Path

PACKAGED_SCHEMA = Path(__file__).parent / "data" / "schema" / "iati-activities-schema.xsd"
"""The IATI 2.03 activity schema shipped with the package (with iati-common.xsd, xml.xsd)."""
PACKAGED_CODELISTS = Path(__file__).parent / "data" / "codelists.csv"
"""The IATI code lists shipped with the package: one row per code list and code."""
