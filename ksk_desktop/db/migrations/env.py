"""Alembic environment: always runs on the connection the app hands over (never from a URL)."""

from alembic import context

from ksk_desktop.db.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
context.run_migrations()
