"""The push envelope: shape, signature over the documented bytes, and the outbox item it becomes."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from moh1551_support import signed_khamsuckhoe
from sqlalchemy import select
from testkit.testca import TestCA

from ksk_desktop.db.models import OutboxItem
from ksk_desktop.errors import InvalidInput
from ksk_desktop.moh1551 import certs, envelope
from ksk_desktop.moh1551.errors import CertificateExpired, EnvelopeSignatureInvalid

SENDER = "8930000123456"
NOW = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return TestCA()


@pytest.fixture(scope="module")
def facility(ca):
    return certs.open_pkcs12(ca.facility().p12("p"), "p")


@pytest.fixture(scope="module")
def signed_file(ca, facility):
    return signed_khamsuckhoe(certs.open_pkcs12(ca.doctor().p12("d"), "d"), facility)


def test_envelope_header_and_data(facility, signed_file):
    env = envelope.build(signed_file, sender_id=SENDER, signer=facility, now=NOW)
    h = env["header"]
    assert h["version"] == "1.0.6" and h["sender_id"] == SENDER and h["receiver_id"] == "TDLBYT"
    assert h["txn_type"] == "sync_checkup" and h["msg_type"] == "101" and h["data_type"] == "xml/base64"
    assert h["send_datetime"] == int(NOW.timestamp() * 1000) and len(str(h["send_datetime"])) == 13
    assert h["msg_id"].startswith(SENDER + "261126") and len(h["msg_id"]) == 13 + 6 + 32
    assert base64.b64decode(env["data"]) == signed_file
    assert envelope.check_shape(env) is None
    other = envelope.build(signed_file, sender_id=SENDER, signer=facility, now=NOW)
    assert other["header"]["msg_id"] != h["msg_id"]


def test_signature_is_over_the_documented_bytes(facility, signed_file):
    env = envelope.build(signed_file, sender_id=SENDER, signer=facility, now=NOW)
    # Recompute from the docstring's definition, independently of envelope.signed_bytes.
    header = json.dumps(env["header"], sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    message = hashlib.sha256(header).digest() + hashlib.sha256(env["data"].encode()).digest()
    facility.certificate.public_key().verify(  # type: ignore[call-arg]
        base64.b64decode(env["signature"]), message, padding.PKCS1v15(), hashes.SHA256()
    )
    envelope.verify(env, facility.certificate)


def test_any_change_or_another_key_fails_verification(ca, facility, signed_file):
    env = envelope.build(signed_file, sender_id=SENDER, signer=facility, now=NOW)
    changes = [
        lambda e: e["header"].update(receiver_id="TTYTQG"),
        lambda e: e["header"].update(send_datetime=e["header"]["send_datetime"] + 1),
        lambda e: e.update(data=base64.b64encode(signed_file + b" ").decode()),
        lambda e: e.update(signature=base64.b64encode(b"x" * 256).decode()),
    ]
    for change in changes:
        bad = copy.deepcopy(env)
        change(bad)
        with pytest.raises(EnvelopeSignatureInvalid):
            envelope.verify(bad, facility.certificate)
    with pytest.raises(EnvelopeSignatureInvalid, match="không khớp"):
        envelope.verify(env, ca.facility("Trạm khác").certificate)
    bad = copy.deepcopy(env)
    bad["header"]["msg_id"] = "9" * 13 + bad["header"]["msg_id"][13:]
    with pytest.raises(EnvelopeSignatureInvalid, match="header.msg_id"):
        envelope.verify(bad, facility.certificate)


def test_refuses_a_bad_sender_and_an_expired_certificate(ca, facility, signed_file):
    with pytest.raises(InvalidInput, match="13 chữ số"):
        envelope.build(signed_file, sender_id="31001", signer=facility, now=NOW)
    old = ca.issue("Hết hạn", not_after=datetime(2025, 6, 1, tzinfo=UTC))
    with pytest.raises(CertificateExpired):
        envelope.build(signed_file, sender_id=SENDER, signer=certs.open_pkcs12(old.p12("p"), "p"), now=NOW)


def test_queue_push_writes_one_outbox_item_in_the_callers_transaction(admin_session, facility, signed_file):
    env = envelope.build(signed_file, sender_id=SENDER, signer=facility, now=NOW)
    ended = NOW - timedelta(minutes=5)
    with pytest.raises(RuntimeError), admin_session.write() as s:
        envelope.queue_push(s, exam_id="E1", ma_lk="LK1", person_id="P1", envelope=env, exam_ended_at=ended)
        raise RuntimeError("the sign-off failed after queueing")
    with admin_session.write() as s:
        envelope.queue_push(s, exam_id="E1", ma_lk="LK1", person_id="P1", envelope=env, exam_ended_at=ended)
    with admin_session.read() as s:
        items = s.scalars(select(OutboxItem).where(OutboxItem.kind == "moh_push")).all()
        assert len(items) == 1
        payload = json.loads(items[0].payload)
    assert items[0].entity_id == "E1" and items[0].state == "pending"
    assert payload["envelope"] == env and payload["msg_id"] == env["header"]["msg_id"]
    assert datetime.fromisoformat(payload["deadline"]) == ended + timedelta(hours=24)
    with admin_session.write() as s, pytest.raises(InvalidInput):
        envelope.queue_push(s, exam_id="E2", ma_lk="L", person_id="P", envelope={"x": 1}, exam_ended_at=ended)
