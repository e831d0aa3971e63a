"""Items, tags and the link between them.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# One statement per op.execute: asyncpg prepares each, and a prepared statement
# holds exactly one command.
UPGRADE = (
    """
    CREATE TABLE items (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT items_name_key UNIQUE (name)
    )
    """,
    """
    CREATE TABLE tags (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name text NOT NULL,
        CONSTRAINT tags_name_key UNIQUE (name)
    )
    """,
    """
    CREATE TABLE item_tags (
        item_id bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        tag_id bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
        PRIMARY KEY (item_id, tag_id)
    )
    """,
    "CREATE INDEX item_tags_tag_id_idx ON item_tags (tag_id)",
)
DOWNGRADE = ("DROP TABLE item_tags", "DROP TABLE tags", "DROP TABLE items")


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
