"""Users sort naturally (c2 before c10): a sort key kept beside the username.

Revision ID: d3f4a5b6c7d8
Revises: c2e3f4a5b6c7
Create Date: 2026-12-03 11:00:00

"""
import re

import sqlalchemy as sa
from alembic import op

revision = "d3f4a5b6c7d8"
down_revision = "c2e3f4a5b6c7"
branch_labels = None
depends_on = None


def _natural_key(username):
    """As caseworks.accounts.models.natural_key (copied: a migration keeps its own logic)."""
    return re.sub(r"\d+", lambda m: m.group().zfill(12), (username or "").lower())[:160]


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("sort_key", sa.String(length=160), nullable=True))
    conn = op.get_bind()
    users = sa.table("user_account", sa.column("id", sa.Integer), sa.column("sort_key", sa.String))
    rows = conn.execute(sa.text("SELECT id, username FROM user_account")).fetchall()
    if rows:
        conn.execute(
            sa.update(users).where(users.c.id == sa.bindparam("uid")).values(sort_key=sa.bindparam("key")),
            [{"uid": user_id, "key": _natural_key(username)} for user_id, username in rows],
        )
    with op.batch_alter_table("user_account") as batch:
        batch.alter_column("sort_key", existing_type=sa.String(length=160), nullable=False)
        batch.create_index(batch.f("ix_user_account_sort_key"), ["sort_key"], unique=False)


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_index(batch.f("ix_user_account_sort_key"))
        batch.drop_column("sort_key")
