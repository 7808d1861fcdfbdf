"""Sync with the city hub (outbox worker, transport, reference hub server).

- ``sync.protocol``: what station and hub agree on (API prefix, kinds, statuses).
- ``sync.hub``: the reference hub (FastAPI + uvicorn, SQLAlchemy on SQLite or PostgreSQL), ``ksk hub …``.
- ``sync.client``: the station's transport (requests, verified HTTPS, optional pinning) and worker, ``ksk sync …``.
- ``sync.fhir``: FHIR R4 bundles and their forwarding to a health-record endpoint.

The outbox rows it drains are written by the core (``ksk_desktop.outbox``); its state machine lives in
``ksk_desktop.outbox.sync_state``. This package must never import PySide6 or ``ui``.
"""
