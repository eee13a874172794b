"""Conversation cookies: what apps set in answers to SMS webhooks, kept per conversation.

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
        "conversation_cookies",
        sa.Column("account_sid", sa.String(34), primary_key=True),
        sa.Column("from_", sa.String(64), primary_key=True),
        sa.Column("to", sa.String(64), primary_key=True),
        sa.Column("jar", sa.Text, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_conversation_cookies_expires", "conversation_cookies", ["expires_at"])


def downgrade() -> None:
    op.drop_table("conversation_cookies")
