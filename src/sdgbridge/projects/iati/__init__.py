"""IATI activity files, read and written: files and schema (:mod:`.files`), one activity
(:mod:`.activity`, its results :mod:`.results`, both reading elements through
:mod:`.elements`), the batch of files (:mod:`.parse`), the code lists (:mod:`.codelists`),
and the stored activities back out as an IATI file (:mod:`.export`)."""
