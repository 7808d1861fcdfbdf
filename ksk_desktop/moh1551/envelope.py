"""The data hub's push envelope (QĐ 1551 PL02) around a signed KHAMSUCKHOE file, and its outbox item.

``signature`` is SHA256withRSA (RSA PKCS#1 v1.5, SHA-256) by the facility's key over exactly these 64 bytes::

    SHA256(canonical_header) || SHA256(data)

where ``canonical_header`` is the header as JSON with keys sorted, no spaces (``","`` and ``":"``
separators), non-ASCII kept as UTF-8 (``ensure_ascii=False``), encoded UTF-8; ``data`` is the Base64 text of
the file exactly as sent in the envelope, as ASCII bytes; ``||`` joins the two 32-byte binary digests. (The
public code we studied signs "SHA256(header).SHA256(data)"; the Ministry's exact byte layout is not public, so
this one is written down here and the reference endpoint checks this one.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.errors import InvalidInput
from ksk_desktop.moh1551.certs import CertSigner, check_validity, verify_rsa_sha256
from ksk_desktop.moh1551.errors import EnvelopeSignatureInvalid

VERSION = "1.0.6"
TXN_TYPE = "sync_checkup"
MSG_TYPE_PUSH = "101"
MSG_TYPE_ANSWER = "102"
DATA_TYPES = ("xml/base64", "json/base64", "png/base64", "jpg/base64", "pdf/base64")
DEADLINE = timedelta(hours=24)  # QĐ 1551 HD §4a: within 24 hours after the exam ends
HEADER_KEYS = (
    "version",
    "sender_id",
    "receiver_id",
    "txn_type",
    "msg_id",
    "msg_type",
    "data_type",
    "send_datetime",
)
_SENDER = re.compile(r"\d{13}")
_MSG_ID = re.compile(r"(\d{13})(\d{6})([0-9a-f]{32})")


def canonical_header(header: dict) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed_bytes(header: dict, data: str) -> bytes:
    """The 64 bytes the envelope signature covers (see the module docstring)."""
    return hashlib.sha256(canonical_header(header)).digest() + hashlib.sha256(data.encode("ascii")).digest()


def new_msg_id(sender_id: str, now: datetime) -> str:
    """sender_id + YYMMDD (the sending day, as *now* carries its zone) + a UUIDv4 without dashes."""
    # The Ministry's format asks for a random (version 4) UUID; the project's own ids are UUIDv7 (ksk_desktop.ids).
    random_uuid = uuid.UUID(bytes=secrets.token_bytes(16), version=4)
    return f"{sender_id}{now:%y%m%d}{random_uuid.hex}"


def build(
    file_bytes: bytes,
    *,
    sender_id: str,
    signer: CertSigner,
    now: datetime,
    receiver_id: str = "TDLBYT",
    data_type: str = "xml/base64",
) -> dict:
    """The push envelope for *file_bytes*, signed with the facility's *signer* (refused if its certificate
    is not valid at *now*, an aware datetime)."""
    if not _SENDER.fullmatch(sender_id):
        raise InvalidInput("Mã định danh cơ sở (MA_GTIN_CSKCB) phải gồm đúng 13 chữ số.")
    if data_type not in DATA_TYPES:
        raise InvalidInput("Kiểu dữ liệu gửi lên không được hỗ trợ.")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    check_validity(signer.certificate, now)
    header = {
        "version": VERSION,
        "sender_id": sender_id,
        "receiver_id": receiver_id,
        "txn_type": TXN_TYPE,
        "msg_id": new_msg_id(sender_id, now),
        "msg_type": MSG_TYPE_PUSH,
        "data_type": data_type,
        "send_datetime": int(now.timestamp() * 1000),
    }
    data = base64.b64encode(file_bytes).decode("ascii")
    signature = signer.sign(signed_bytes(header, data))
    return {"header": header, "data": data, "signature": base64.b64encode(signature).decode("ascii")}


def check_shape(envelope: Any) -> str | None:
    """Why *envelope* is not a well-formed push envelope (the field named), or None."""
    if not isinstance(envelope, dict) or set(envelope) != {"header", "data", "signature"}:
        return "envelope"
    header = envelope["header"]
    if not isinstance(header, dict) or set(header) != set(HEADER_KEYS):
        return "header"
    for key in HEADER_KEYS:
        if key != "send_datetime" and not isinstance(header[key], str):
            return f"header.{key}"
    if header["version"] != VERSION:
        return "header.version"
    if not _SENDER.fullmatch(header["sender_id"]):
        return "header.sender_id"
    m = _MSG_ID.fullmatch(header["msg_id"])
    if not m or m.group(1) != header["sender_id"]:
        return "header.msg_id"
    if header["txn_type"] != TXN_TYPE:
        return "header.txn_type"
    if header["msg_type"] != MSG_TYPE_PUSH:
        return "header.msg_type"
    if header["data_type"] not in DATA_TYPES:
        return "header.data_type"
    sent = header["send_datetime"]
    if not isinstance(sent, int) or isinstance(sent, bool) or not 10**12 <= sent < 10**13:
        return "header.send_datetime"
    if not isinstance(envelope["data"], str) or not envelope["data"]:
        return "data"
    if not isinstance(envelope["signature"], str):
        return "signature"
    return None


def file_of(envelope: dict) -> bytes:
    """The file the envelope carries (its shape checked first)."""
    field = check_shape(envelope)
    if field is not None:
        raise InvalidInput(f"Gói dữ liệu gửi Bộ Y tế sai cấu trúc ({field}).")
    try:
        return base64.b64decode(envelope["data"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput("Gói dữ liệu gửi Bộ Y tế sai cấu trúc (data).") from exc


def verify(envelope: dict, cert: x509.Certificate) -> None:
    """Raise :class:`EnvelopeSignatureInvalid` unless *cert*'s key signed *envelope* (shape checked too)."""
    field = check_shape(envelope)
    if field is not None:
        raise EnvelopeSignatureInvalid(f"Gói dữ liệu gửi Bộ Y tế sai cấu trúc ({field}).")
    try:
        signature = base64.b64decode(envelope["signature"], validate=True)
        message = signed_bytes(envelope["header"], envelope["data"])
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise EnvelopeSignatureInvalid("Chữ ký của gói dữ liệu không đọc được.") from exc
    if not verify_rsa_sha256(cert, signature, message):
        raise EnvelopeSignatureInvalid(
            "Chữ ký của gói dữ liệu không khớp với chứng thư số của cơ sở đã đăng ký."
        )


def queue_push(
    session: Session,
    *,
    exam_id: str,
    ma_lk: str,
    person_id: str,
    envelope: dict,
    exam_ended_at: datetime,
    exam_version: int = 1,
) -> None:
    """Queue *envelope* for the hub to push (a ``moh_push`` outbox item) in the caller's transaction.

    The hub forwards it to the Ministry if the person consented to sharing; the deadline (exam end + 24 h)
    travels with it so the hub and the station flag the same overdue exams."""
    field = check_shape(envelope)
    if field is not None:
        raise InvalidInput(f"Gói dữ liệu gửi Bộ Y tế sai cấu trúc ({field}).")
    if exam_ended_at.tzinfo is None:
        raise ValueError("exam_ended_at must be timezone-aware")
    payload = {
        "exam_id": exam_id,
        "exam_version": exam_version,
        "ma_lk": ma_lk,
        "person_id": person_id,
        "msg_id": envelope["header"]["msg_id"],
        "exam_ended_at": exam_ended_at.isoformat(),
        "deadline": (exam_ended_at + DEADLINE).isoformat(),
        "envelope": envelope,
    }
    outbox.enqueue(session, "moh_push", exam_id, payload, entity_version=exam_version)
