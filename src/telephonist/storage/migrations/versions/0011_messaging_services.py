"""Messaging Services: the messaging v1 Service resource and its sender pool (phone numbers
and alphanumeric sender IDs).

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messaging_services",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("friendly_name", sa.String(64), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_messaging_services_account_created",
        "messaging_services",
        ["account_sid", "date_created", "sid"],
    )
    op.create_table(
        "messaging_service_numbers",
        sa.Column(
            "phone_number_sid",
            sa.String(34),
            sa.ForeignKey("incoming_numbers.sid"),
            primary_key=True,
        ),
        sa.Column(
            "service_sid", sa.String(34), sa.ForeignKey("messaging_services.sid"), nullable=False
        ),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_messaging_service_numbers_service",
        "messaging_service_numbers",
        ["service_sid", "date_created", "phone_number_sid"],
    )
    op.create_table(
        "messaging_service_alpha_senders",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column(
            "service_sid", sa.String(34), sa.ForeignKey("messaging_services.sid"), nullable=False
        ),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("alpha_sender", sa.String(11), nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_messaging_service_alpha_senders_service",
        "messaging_service_alpha_senders",
        ["service_sid", "date_created", "sid"],
    )


def downgrade() -> None:
    op.drop_table("messaging_service_alpha_senders")
    op.drop_table("messaging_service_numbers")
    op.drop_table("messaging_services")
