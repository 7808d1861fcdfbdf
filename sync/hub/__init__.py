"""The reference city hub: the ``/api/v1`` HTTP API (FastAPI), its store (SQLAlchemy: SQLite or PostgreSQL)
and the ``ksk hub`` commands. Stations reach it only through ``sync.client``."""
