"""The Alembic environment of the application's test migrations (tests/datastores/test_application.py).

The caller passes the SQLAlchemy URL object in `config.attributes["url"]`, never through the
ini options: configparser would read the `%` of a URL-encoded password as interpolation.
Each migration runs in its own transaction, so a migration may step out of it for
`CREATE INDEX CONCURRENTLY` (`autocommit_block`).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

engine = create_engine(context.config.attributes["url"], poolclass=NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
