"""Accounts, API keys, incoming numbers, messages and media.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

SID = sa.String(34)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("owner_account_sid", SID, sa.ForeignKey("accounts.sid"), nullable=True),
        sa.Column("friendly_name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("auth_token", sa.String(32), nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_accounts_owner_account_sid", "accounts", ["owner_account_sid"])
    op.create_table(
        "api_keys",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("account_sid", SID, sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("friendly_name", sa.String(64), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_api_keys_account_sid", "api_keys", ["account_sid"])
    op.create_table(
        "incoming_numbers",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("account_sid", SID, sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("phone_number", sa.String(32), nullable=False, unique=True),
        sa.Column("friendly_name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("iso_country", sa.String(2), nullable=False),
        sa.Column("cap_voice", sa.Boolean, nullable=False),
        sa.Column("cap_sms", sa.Boolean, nullable=False),
        sa.Column("cap_mms", sa.Boolean, nullable=False),
        sa.Column("cap_fax", sa.Boolean, nullable=False),
        sa.Column("address_requirements", sa.String(8), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_incoming_numbers_account_sid", "incoming_numbers", ["account_sid"])
    op.create_table(
        "messages",
        sa.Column("sid", SID, primary_key=True),
        sa.Column("account_sid", SID, sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("from_", sa.String(64), nullable=False),
        sa.Column("to", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("encoding", sa.String(8), nullable=False),
        sa.Column("num_segments", sa.Integer, nullable=False),
        sa.Column("num_media", sa.Integer, nullable=False),
        sa.Column("error_code", sa.Integer, nullable=True),
        sa.Column("error_message", sa.Text, nullable=True),
        sa.Column("price", sa.String(16), nullable=True),
        sa.Column("price_unit", sa.String(3), nullable=False),
        sa.Column("messaging_service_sid", SID, nullable=True),
        sa.Column("status_callback", sa.Text, nullable=True),
        sa.Column("validity_period", sa.Integer, nullable=False),
        sa.Column("options", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
        sa.Column("date_sent", sa.BigInteger, nullable=True),
    )
    op.create_index(
        "ix_messages_account_created", "messages", ["account_sid", "date_created", "sid"]
    )
    op.create_index("ix_messages_account_to", "messages", ["account_sid", "to"])
    op.create_index("ix_messages_account_from", "messages", ["account_sid", "from_"])
    op.create_table(
        "media",
        sa.Column("sid", SID, primary_key=True),
        sa.Column(
            "message_sid",
            SID,
            sa.ForeignKey("messages.sid", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("account_sid", SID, nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("source_url", sa.Text, nullable=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_media_message_sid", "media", ["message_sid"])


def downgrade() -> None:
    for table in ("media", "messages", "incoming_numbers", "api_keys", "accounts"):
        op.drop_table(table)
