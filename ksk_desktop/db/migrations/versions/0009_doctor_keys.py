"""Doctors' signing keys wrapped with the doctor's own password; licence numbers on users.

Before this revision ``exam_signing_key.private_key`` was stored as is inside the database, so every staff
password (all of them unwrap the one database key) could read every doctor's key. Those keys must be taken as
known to anyone who had a password, and to anyone who opens a backup made before this upgrade. So they are not
wrapped and kept: each is *retired* — its private half erased (``secure_delete``), its public half kept so the
signatures it made stay verifiable — and the doctor gets a new key pair, wrapped with their password, the next
time they sign (``exams.keys.unlock``).

Exams an old key signed that are still waiting to be sent need that key at the hub. For each such key a
``doctor_key`` registration goes into the outbox, listing exactly those exam versions (ids and the hash of their
signature), and is moved ahead of them; the hub accepts nothing else signed by an old key.

Revision ID: 0009
Revises: 0008
"""

import base64
import json

import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.exams import key_registration
from ksk_desktop.ids import new_id
from ksk_desktop.station.audit import canonical_json

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_keys = sa.table(
    "exam_signing_key",
    sa.column("key_id", sa.String),
    sa.column("username", sa.String),
    sa.column("full_name", sa.String),
    sa.column("public_key", sa.String),
    sa.column("private_key", sa.String),
    sa.column("created_at", sa.DateTime),
)
_outbox = sa.table(
    "outbox",
    sa.column("seq", sa.Integer),
    sa.column("item_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("entity_version", sa.Integer),
    sa.column("payload", sa.Text),
    sa.column("created_at", sa.DateTime),
    sa.column("state", sa.String),
    sa.column("attempts", sa.Integer),
)
_UNSENT = ("pending", "in_flight", "parked")


def _register_legacy_keys(conn: sa.Connection) -> None:
    """A registration ahead of the unsent exams each old key signed (none for a key with nothing unsent)."""
    station_code = conn.execute(sa.text("SELECT code FROM station")).scalar()
    unsent = conn.execute(
        sa.select(_outbox.c.seq, _outbox.c.payload)
        .where(_outbox.c.kind.in_(("exam", "amendment")), _outbox.c.state.in_(_UNSENT))
        .order_by(_outbox.c.seq)
    ).all()
    by_key: dict[str, list[tuple[int, dict]]] = {}
    for seq, payload in unsent:
        doc = json.loads(payload) if payload else {}
        if doc.get("signer_key_id") and doc.get("signature"):
            by_key.setdefault(doc["signer_key_id"], []).append((seq, doc))
    now = SYSTEM_CLOCK.utcnow()
    moved: list[int] = []
    for key in conn.execute(sa.select(_keys).order_by(_keys.c.created_at)).all():
        signed = by_key.get(key.key_id)
        if not signed or station_code is None:
            continue
        private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(key.private_key))
        payload = key_registration.build(
            public_raw=base64.b64decode(key.public_key),
            station_code=station_code,
            username=key.username,
            full_name=key.full_name,
            licence_no=None,
            created_at=key.created_at.isoformat(timespec="seconds") + "Z",
            sign=private.sign,
            legacy_exams=[
                key_registration.exam_entry(doc["id"], doc["version"], doc["signature"])
                for _seq, doc in signed
            ],
        )
        conn.execute(
            _outbox.insert().values(
                item_id=new_id(),
                kind=key_registration.KIND,
                entity_id=key.key_id,
                entity_version=1,
                payload=canonical_json(payload),
                created_at=now,
                state="pending",
                attempts=0,
            )
        )
        moved += [seq for seq, _doc in signed]
    # The outbox goes out in seq order: the exams move behind the registrations (same item ids; their order
    # among themselves, and after everything they depend on, is kept).
    for seq in sorted(moved):
        top = conn.execute(sa.select(sa.func.max(_outbox.c.seq))).scalar_one()
        conn.execute(_outbox.update().where(_outbox.c.seq == seq).values(seq=top + 1))


def upgrade() -> None:
    conn = op.get_bind()
    op.add_column("app_user", sa.Column("licence_no", sa.String(40)))
    _register_legacy_keys(conn)
    # The old private keys are erased, not merely unlinked: freed pages are overwritten.
    secure = conn.exec_driver_sql("PRAGMA secure_delete").scalar()
    conn.exec_driver_sql("PRAGMA secure_delete = ON")
    conn.execute(_keys.update().values(private_key=""))
    with op.batch_alter_table("exam_signing_key", recreate="always") as batch:
        batch.drop_column("private_key")
        batch.add_column(sa.Column("licence_no", sa.String(40)))
        batch.add_column(sa.Column("holder", sa.String(20), nullable=False, server_default="none"))
        batch.add_column(sa.Column("wrapped_private_key", sa.Text))
        batch.add_column(sa.Column("retired_at", sa.DateTime))
        batch.add_column(sa.Column("retired_reason", sa.String(40)))
    retired = sa.table(
        "exam_signing_key",
        sa.column("active", sa.Boolean),
        sa.column("retired_at", sa.DateTime),
        sa.column("retired_reason", sa.String),
    )
    conn.execute(
        retired.update().values(
            active=False, retired_at=SYSTEM_CLOCK.utcnow(), retired_reason="legacy_unprotected"
        )
    )
    conn.exec_driver_sql(f"PRAGMA secure_delete = {int(secure or 0)}")


def downgrade() -> None:
    # The erased private keys cannot come back: an older app finds only retired keys and makes new ones.
    with op.batch_alter_table("exam_signing_key", recreate="always") as batch:
        batch.drop_column("retired_reason")
        batch.drop_column("retired_at")
        batch.drop_column("wrapped_private_key")
        batch.drop_column("holder")
        batch.drop_column("licence_no")
        batch.add_column(sa.Column("private_key", sa.String(64), nullable=False, server_default=""))
    op.drop_column("app_user", "licence_no")
