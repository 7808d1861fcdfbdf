"""Sync in the window: the controller that runs the worker off the GUI thread, the status-bar indicator."""
