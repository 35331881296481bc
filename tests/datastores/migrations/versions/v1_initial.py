"""Tables, an index and pgcrypto (a trusted extension: CREATE on the database suffices)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v1"
down_revision = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION pgcrypto")
    op.create_table(
        "students",
        sa.Column("id", sa.Uuid, primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text),
    )
    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("title", sa.String(80), nullable=False),
    )
    op.create_index("ix_lessons_title", "lessons", ["title"])


def downgrade() -> None:
    op.drop_index("ix_lessons_title", "lessons")
    op.drop_table("lessons")
    op.drop_table("students")
    op.execute("DROP EXTENSION pgcrypto")
