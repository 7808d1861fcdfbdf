"""Importing the commune's lists of residents from Excel (.xlsx) and CSV files."""

from ksk_desktop.importer.columns import FIELDS, guess_mapping
from ksk_desktop.importer.run import ImportCancelled, ImportResult, import_people, preview
from ksk_desktop.importer.sources import ImportFileError, read_table

__all__ = [
    "FIELDS",
    "ImportCancelled",
    "ImportFileError",
    "ImportResult",
    "guess_mapping",
    "import_people",
    "preview",
    "read_table",
]
