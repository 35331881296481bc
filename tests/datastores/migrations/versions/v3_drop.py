"""A dropped table and an index dropped CONCURRENTLY."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v3"
down_revision = "v2"


def upgrade() -> None:
    op.drop_table("drafts")
    with op.get_context().autocommit_block():
        op.drop_index("ix_lessons_title", "lessons", postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index("ix_lessons_title", "lessons", ["title"], postgresql_concurrently=True)
    op.create_table("drafts", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))
