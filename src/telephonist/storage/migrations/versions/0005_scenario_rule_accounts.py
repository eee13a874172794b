"""Scenario rules belong to the account that set them.

Rules set before this revision applied to every account's traffic. So that they keep doing so
after it, each is copied to every top-level account (a subaccount inherits its parent's rules);
every account can then remove its own copy without touching anyone else's.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SID = sa.String(34)


def upgrade() -> None:
    conn = op.get_bind()
    # The table is tiny (rules typed by a person or a test), and rebuilding it is the one way
    # to change a primary key that works the same on SQLite and PostgreSQL.
    old = conn.execute(sa.text("SELECT pattern, scenario, created_at FROM scenario_rules")).all()
    tops = conn.execute(sa.text("SELECT sid FROM accounts WHERE owner_account_sid IS NULL"))
    owners = [row[0] for row in tops]
    op.drop_table("scenario_rules")
    table = op.create_table(
        "scenario_rules",
        sa.Column("account_sid", SID, primary_key=True),
        sa.Column("pattern", sa.String(64), primary_key=True),
        sa.Column("scenario", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    rows = [
        {"account_sid": owner, "pattern": pattern, "scenario": scenario, "created_at": created}
        for owner in owners
        for pattern, scenario, created in old
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT pattern, scenario, created_at FROM scenario_rules ORDER BY created_at")
    ).all()
    # Unscoped again: one rule per pattern, the one set last.
    latest = {pattern: (scenario, created) for pattern, scenario, created in rows}
    op.drop_table("scenario_rules")
    table = op.create_table(
        "scenario_rules",
        sa.Column("pattern", sa.String(64), primary_key=True),
        sa.Column("scenario", sa.String(32), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    if latest:
        op.bulk_insert(
            table,
            [
                {"pattern": p, "scenario": s, "created_at": c}
                for p, (s, c) in sorted(latest.items())
            ],
        )
