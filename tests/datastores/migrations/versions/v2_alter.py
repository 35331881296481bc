"""Altered tables (a new foreign key column, a changed type, a renamed column), a new table,
and an index built CONCURRENTLY (outside a transaction, as PostgreSQL requires)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "v2"
down_revision = "v1"


def upgrade() -> None:
    op.add_column(
        "lessons",
        sa.Column("student_id", sa.Uuid, sa.ForeignKey("students.id", ondelete="CASCADE"), nullable=True),
    )
    op.alter_column("lessons", "title", type_=sa.Text, existing_type=sa.String(80), existing_nullable=False)
    op.alter_column("students", "name", new_column_name="full_name")
    op.create_table("drafts", sa.Column("id", sa.Integer, primary_key=True), sa.Column("body", sa.Text))
    with op.get_context().autocommit_block():
        op.create_index("ix_lessons_student", "lessons", ["student_id"], postgresql_concurrently=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_lessons_student", "lessons", postgresql_concurrently=True)
    op.drop_table("drafts")
    op.alter_column("students", "full_name", new_column_name="name")
    op.alter_column("lessons", "title", type_=sa.String(80), existing_type=sa.Text, existing_nullable=False)
    op.drop_column("lessons", "student_id")
