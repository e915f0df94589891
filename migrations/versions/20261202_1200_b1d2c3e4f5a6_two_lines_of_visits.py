"""Two lines of visits: each regular planned visit belongs to a line (teacher or village cadre), a
done visit counts for the lines that went, and the village cadre's own cadence in the profile.

Revision ID: b1d2c3e4f5a6
Revises: 4595f7cd095d
Create Date: 2026-12-03 09:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

revision = "b1d2c3e4f5a6"
down_revision = "4595f7cd095d"
branch_labels = None
depends_on = None

#: who went, and the line their visit counts for (caseworks.core.choices.LINE_OF_VISITOR)
TEACHER_LINE = {"teacher", "school_leader"}
CADRE_LINE = {"cadre", "township_staff"}
REGULAR = ("monthly", "ladder", "monitoring")


def upgrade():
    with op.batch_alter_table("visit") as batch:
        batch.add_column(sa.Column("line", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("is_teacher_line", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("is_cadre_line", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("visit") as batch:
        batch.alter_column("is_teacher_line", server_default=None)
        batch.alter_column("is_cadre_line", server_default=None)
    with op.batch_alter_table("policy_profile") as batch:
        batch.add_column(sa.Column("cadre_visit_interval_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cadre_ladder_visit_interval_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("cadre_monitoring_check_interval_days", sa.Integer(), nullable=True))
    _backfill()


def _backfill():
    """Done visits count for the lines of those who went; a regular planned visit belongs to the
    line of the person it was planned for (the village cadre's only where no teacher held it)."""
    conn = op.get_bind()
    visit = sa.table(
        "visit",
        sa.column("id", sa.Integer),
        sa.column("visitors", sa.JSON),
        sa.column("is_teacher_line", sa.Boolean),
        sa.column("is_cadre_line", sa.Boolean),
    )
    rows = conn.execute(sa.text("SELECT id, visitors FROM visit WHERE done_dt IS NOT NULL")).fetchall()
    updates = []
    for visit_id, visitors in rows:
        if isinstance(visitors, str):
            visitors = json.loads(visitors or "[]")
        went = set(visitors or ())
        teacher, cadre = bool(went & TEACHER_LINE), bool(went & CADRE_LINE)
        if teacher or cadre:
            updates.append({"vid": visit_id, "t": teacher, "c": cadre})
    for start in range(0, len(updates), 5000):
        conn.execute(
            sa.update(visit)
            .where(visit.c.id == sa.bindparam("vid"))
            .values(is_teacher_line=sa.bindparam("t"), is_cadre_line=sa.bindparam("c")),
            updates[start : start + 5000],
        )
    regular = ", ".join(f"'{p}'" for p in REGULAR)
    conn.execute(
        sa.text(
            f"UPDATE visit SET line = 'cadre' WHERE purpose IN ({regular}) AND EXISTS ("
            "SELECT 1 FROM case_file c WHERE c.id = visit.case_id AND c.teacher_id IS NULL "
            "AND c.cadre_id IS NOT NULL AND c.cadre_id = visit.assignee_id)"
        )
    )
    conn.execute(sa.text(f"UPDATE visit SET line = 'teacher' WHERE purpose IN ({regular}) AND line IS NULL"))


def downgrade():
    with op.batch_alter_table("policy_profile") as batch:
        batch.drop_column("cadre_monitoring_check_interval_days")
        batch.drop_column("cadre_ladder_visit_interval_days")
        batch.drop_column("cadre_visit_interval_days")
    with op.batch_alter_table("visit") as batch:
        batch.drop_column("is_cadre_line")
        batch.drop_column("is_teacher_line")
        batch.drop_column("line")
