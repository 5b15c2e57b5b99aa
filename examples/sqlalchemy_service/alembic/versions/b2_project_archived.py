"""projects.archived_at and a name index"""

import sqlalchemy as sa
from alembic import op

revision = "b2"
down_revision = "a1"


def upgrade():
    op.add_column("projects", sa.Column("archived_at", sa.DateTime(timezone=True)))
    op.create_index("projects_name_idx", "projects", ["name"])
    op.alter_column("projects", "name", nullable=False)


def downgrade():
    op.drop_index("projects_name_idx")
    op.drop_column("projects", "archived_at")
