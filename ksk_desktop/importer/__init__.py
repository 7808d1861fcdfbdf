"""Importing the commune's lists of residents from Excel (.xlsx) and CSV files."""

from .columns import FIELDS, guess_mapping
from .run import ImportCancelled, ImportResult, import_people, preview
from .sources import ImportFileError, read_table

__all__ = ["FIELDS", "ImportCancelled", "ImportFileError", "ImportResult", "guess_mapping", "import_people",
           "preview", "read_table"]
