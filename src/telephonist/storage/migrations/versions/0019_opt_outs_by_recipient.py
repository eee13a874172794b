"""Opt-outs: an index by account and recipient (then scope, so that it alone answers), the
read every create makes.

The primary key (account, scope, recipient) answers "who left this scope"; a send asks
"did this recipient leave any of these scopes", which without this index read every opt-out
of the account.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_opt_outs_recipient", "opt_outs", ["account_sid", "recipient", "scope"])


def downgrade() -> None:
    op.drop_index("ix_opt_outs_recipient", table_name="opt_outs")
