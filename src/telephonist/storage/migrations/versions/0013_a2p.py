"""A2P 10DLC records: TrustHub bundles (customer profiles, trust products), brand
registrations and campaigns (one per Messaging Service).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trust_bundles",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("friendly_name", sa.String(255), nullable=False),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("policy_sid", sa.String(34), nullable=False),
        sa.Column("status_callback", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_at", sa.BigInteger, nullable=True),
        sa.Column("valid_until", sa.BigInteger, nullable=True),
        sa.Column("errors", sa.Text, nullable=True),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_trust_bundles_account_kind_created",
        "trust_bundles",
        ["account_sid", "kind", "date_created", "sid"],
    )
    op.create_table(
        "brand_registrations",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column(
            "customer_profile_bundle_sid",
            sa.String(34),
            sa.ForeignKey("trust_bundles.sid"),
            nullable=False,
        ),
        sa.Column(
            "a2p_profile_bundle_sid",
            sa.String(34),
            sa.ForeignKey("trust_bundles.sid"),
            nullable=False,
        ),
        sa.Column("brand_type", sa.String(16), nullable=False),
        sa.Column("mock", sa.Boolean, nullable=False),
        sa.Column("skip_automatic_sec_vet", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_at", sa.BigInteger, nullable=False),
        sa.Column("identity_status", sa.String(16), nullable=False),
        sa.Column("brand_score", sa.Integer, nullable=True),
        sa.Column("tcr_id", sa.String(16), nullable=True),
        sa.Column("failure_reason", sa.Text, nullable=True),
        sa.Column("brand_feedback", sa.Text, nullable=True),
        sa.Column("errors", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "ix_brand_registrations_account_created",
        "brand_registrations",
        ["account_sid", "date_created", "sid"],
    )
    op.create_table(
        "a2p_campaigns",
        sa.Column("sid", sa.String(34), primary_key=True),
        sa.Column("account_sid", sa.String(34), sa.ForeignKey("accounts.sid"), nullable=False),
        sa.Column(
            "messaging_service_sid",
            sa.String(34),
            sa.ForeignKey("messaging_services.sid"),
            nullable=False,
        ),
        sa.Column(
            "brand_registration_sid",
            sa.String(34),
            sa.ForeignKey("brand_registrations.sid"),
            nullable=False,
        ),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("campaign_status", sa.String(16), nullable=False),
        sa.Column("submitted_at", sa.BigInteger, nullable=False),
        sa.Column("campaign_id", sa.String(16), nullable=True),
        sa.Column("rate_limits", sa.Text, nullable=False),
        sa.Column("errors", sa.Text, nullable=False),
        sa.Column("date_created", sa.BigInteger, nullable=False),
        sa.Column("date_updated", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("messaging_service_sid", name="uq_a2p_campaigns_service"),
    )


def downgrade() -> None:
    op.drop_table("a2p_campaigns")
    op.drop_table("brand_registrations")
    op.drop_index("ix_trust_bundles_account_kind_created", table_name="trust_bundles")
    op.drop_table("trust_bundles")
