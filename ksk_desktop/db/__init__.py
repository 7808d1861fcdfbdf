"""Storage: the SQLCipher database, its schema (SQLAlchemy models) and Alembic migrations."""
