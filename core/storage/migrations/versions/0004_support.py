"""support: FAQ knowledge bases (entries, versions) and logged questions with feedback

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_kbs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "support_kb_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kb_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("encoder", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["kb_id"], ["support_kbs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_support_kb_entries_kb_id", "support_kb_entries", ["kb_id"])
    op.create_index("ix_support_kb_entries_question_key", "support_kb_entries", ["question_key"])
    op.create_table(
        "support_kb_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kb_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entry_ids", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["kb_id"], ["support_kbs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kb_id", "version", name="uq_support_kb_version"),
    )
    op.create_index("ix_support_kb_versions_kb_id", "support_kb_versions", ["kb_id"])
    op.create_table(
        "support_interactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kb_id", sa.Integer(), nullable=True),
        sa.Column("kb_version", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("similarity", sa.Float(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("matched_question", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=200), nullable=True),
        sa.Column("intent_confidence", sa.Float(), nullable=True),
        sa.Column("intent_model_version", sa.Integer(), nullable=True),
        sa.Column("sentiment", sa.String(length=50), nullable=True),
        sa.Column("sentiment_negative", sa.Float(), nullable=True),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("feedback", sa.Integer(), nullable=True),
        sa.Column("feedback_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["kb_id"], ["support_kbs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_support_interactions_kb_id", "support_interactions", ["kb_id"])
    op.create_index("ix_support_interactions_created_at", "support_interactions", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_support_interactions_created_at", table_name="support_interactions")
    op.drop_index("ix_support_interactions_kb_id", table_name="support_interactions")
    op.drop_table("support_interactions")
    op.drop_index("ix_support_kb_versions_kb_id", table_name="support_kb_versions")
    op.drop_table("support_kb_versions")
    op.drop_index("ix_support_kb_entries_question_key", table_name="support_kb_entries")
    op.drop_index("ix_support_kb_entries_kb_id", table_name="support_kb_entries")
    op.drop_table("support_kb_entries")
    op.drop_table("support_kbs")
