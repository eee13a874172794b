"""Messaging Services: destination alpha senders, a pool's alphanumeric sender IDs for one
country (or, with no country, for every country).

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messaging_service_destination_alpha_senders",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column(
            "service_sid", sa.String(34), sa.ForeignKey("messaging_services.sid"), nullable=False
        ),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("alpha_sender", sa.String(11), nullable=False),
        sa.Column("iso_country", sa.String(2), nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_messaging_service_destination_alpha_senders_service",
        "messaging_service_destination_alpha_senders",
        ["service_sid", "date_created", "sid"],
    )


def downgrade() -> None:
    op.drop_table("messaging_service_destination_alpha_senders")
