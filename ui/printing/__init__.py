"""Printing from the app: the print preview, the queue-ticket printer, and drawing the core's PDFs on a QPrinter."""
