"""Messages: the provider reference's index holds only the messages that have one.

Every message is created without a reference; a full index took an entry for each create
and changed it again at the hand-over. Receipts look messages up by reference (``IN``),
which the partial index still answers.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_HAS_REFERENCE = sa.text("provider_sid IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_messages_provider_sid", table_name="messages")
    op.create_index(
        "ix_messages_provider_sid",
        "messages",
        ["provider_sid"],
        sqlite_where=_HAS_REFERENCE,
        postgresql_where=_HAS_REFERENCE,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_provider_sid", table_name="messages")
    op.create_index("ix_messages_provider_sid", "messages", ["provider_sid"])
