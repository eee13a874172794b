"""Persistence: tables, migrations and the database runner. The database is the source of truth."""
