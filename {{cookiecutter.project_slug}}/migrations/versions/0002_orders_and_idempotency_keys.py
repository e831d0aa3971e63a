"""Orders the worker fulfilled, and the idempotency keys of the requests that placed them.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# One statement per op.execute: asyncpg prepares each, and a prepared statement
# holds exactly one command.
UPGRADE = (
    """
    CREATE TABLE orders (
        id uuid PRIMARY KEY,
        sku text NOT NULL,
        quantity integer NOT NULL CHECK (quantity > 0),
        fulfilled_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    # A claim holds the key until `expires_at` (a short lease, then the key's lifetime once
    # the answer is kept); an expired row is taken over by the next claim.
    """
    CREATE TABLE idempotency_keys (
        key text PRIMARY KEY,
        fingerprint text NOT NULL,
        response_status integer,
        response_body bytea,
        response_location text,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at)",
)
DOWNGRADE = ("DROP TABLE idempotency_keys", "DROP TABLE orders")


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
