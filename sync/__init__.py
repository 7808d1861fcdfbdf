"""Sync with the city hub and the health-record endpoint (outbox worker, transports, reference hub).

Nothing here yet: the foundation only writes the outbox rows (``ksk_desktop.outbox``) that this package
will drain. It must never import PySide6 or ``ui``.
"""
