"""Notices record the legal way they were served and keep photos of their signed receipts;
inbox messages may point to a page (the stuck-cases digest's filtered case list).

Revision ID: c2e3f4a5b6c7
Revises: b1d2c3e4f5a6
Create Date: 2026-12-03 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "c2e3f4a5b6c7"
down_revision = "b1d2c3e4f5a6"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notice") as batch:
        batch.add_column(sa.Column("service_method", sa.String(length=16), nullable=True))
    op.create_table(
        "notice_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_dt", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notice.id"], name=op.f("fk_notice_receipt_notice_id_notice"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user_account.id"], name=op.f("fk_notice_receipt_uploaded_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_receipt")),
    )
    with op.batch_alter_table("notice_receipt") as batch:
        batch.create_index(batch.f("ix_notice_receipt_notice_id"), ["notice_id"], unique=False)
    # notices served before the way of service was recorded were handed over in person
    op.execute("UPDATE notice SET service_method = 'direct' WHERE served_date IS NOT NULL")


def downgrade():
    with op.batch_alter_table("notice_receipt") as batch:
        batch.drop_index(batch.f("ix_notice_receipt_notice_id"))
    op.drop_table("notice_receipt")
    with op.batch_alter_table("notice") as batch:
        batch.drop_column("service_method")
