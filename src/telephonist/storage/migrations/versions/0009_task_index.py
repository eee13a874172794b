"""Tasks: drop the index on due_at alone; every query that orders tasks by due time names the
lane first, which ``ix_tasks_lane_due`` serves, and one index fewer is one write fewer for every
task queued, leased and finished.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_tasks_due", "tasks")


def downgrade() -> None:
    op.create_index("ix_tasks_due", "tasks", ["due_at"])
