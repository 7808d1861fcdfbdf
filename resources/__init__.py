"""Bundled data files (catalogues, fonts, icons, form definitions), loaded with importlib.resources."""
