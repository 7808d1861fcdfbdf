"""The reference endpoint's state in one SQLite file (stdlib ``sqlite3``): agent accounts, tokens, registered
facility certificates, every message received with its answer (once per ``msg_id``), and the personal IDs
accepted with their exam day (the 6-month rule). The receiver's own signing key lives beside it."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from ksk_desktop.clock import SYSTEM_CLOCK

SCHEMA = """
CREATE TABLE IF NOT EXISTS account (username TEXT PRIMARY KEY, salt BLOB, pw_hash BLOB, role TEXT);
CREATE TABLE IF NOT EXISTS token (token TEXT PRIMARY KEY, username TEXT, kind TEXT, expires REAL);
CREATE TABLE IF NOT EXISTS facility_cert (sender_id TEXT PRIMARY KEY, pem TEXT);
CREATE TABLE IF NOT EXISTS message (msg_id TEXT PRIMARY KEY, sender_id TEXT, received_at TEXT,
    request_sha256 TEXT, status INTEGER, answer TEXT);
CREATE TABLE IF NOT EXISTS accepted (so_cccd TEXT, exam_day TEXT, ma_lk TEXT, msg_id TEXT);
CREATE INDEX IF NOT EXISTS ix_accepted ON accepted (so_cccd);
"""


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 100_000)


def canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class RefStore:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.db = sqlite3.connect(folder / "moh-ref.sqlite", check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: a killed process loses no commit
        self.db.executescript(SCHEMA)
        self.lock = threading.RLock()
        self.key, self.certificate = self._receiver_key()

    def _receiver_key(self) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
        key_file, cert_file = self.folder / "receiver-key.pem", self.folder / "receiver-cert.pem"
        if key_file.exists() and cert_file.exists():
            key = serialization.load_pem_private_key(key_file.read_bytes(), None)
            assert isinstance(key, rsa.RSAPrivateKey)
            return key, x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TDLBYT reference receiver")])
        start = datetime(2020, 1, 1, tzinfo=UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=365 * 30))
            .sign(key, hashes.SHA256())
        )
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        key_file.chmod(0o600)
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return key, cert

    def sign(self, answer: dict) -> str:
        import base64

        return base64.b64encode(
            self.key.sign(canonical(answer), padding.PKCS1v15(), hashes.SHA256())
        ).decode()

    # -- accounts and tokens -------------------------------------------------------------------------------
    def add_account(self, username: str, password: str, role: str = "facility") -> None:
        salt = secrets.token_bytes(16)
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO account VALUES (?, ?, ?, ?)",
                (username, salt, _hash(password, salt), role),
            )

    def login(self, username: str, password: str, duration: int) -> dict | None:
        with self.lock:
            row = self.db.execute(
                "SELECT salt, pw_hash, role FROM account WHERE username=?", (username,)
            ).fetchone()
        if row is None or not hmac.compare_digest(_hash(password, row[0]), row[1]):
            return None
        return self._tokens(username, row[2], duration)

    def _tokens(self, username: str, role: str, duration: int) -> dict:
        token, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        now = SYSTEM_CLOCK.now().timestamp()
        with self.lock:
            self.db.execute("INSERT INTO token VALUES (?, ?, 'access', ?)", (token, username, now + duration))
            self.db.execute(
                "INSERT INTO token VALUES (?, ?, 'refresh', ?)", (refresh, username, now + 30 * 86400)
            )
        return {"token": token, "refresh_token": refresh, "duration": duration, "role": role}

    def refresh(self, refresh_token: str, duration: int) -> dict | None:
        with self.lock:
            row = self.db.execute(
                "SELECT t.username, a.role FROM token t JOIN account a ON a.username = t.username "
                "WHERE t.token=? AND t.kind='refresh' AND t.expires > ?",
                (refresh_token, SYSTEM_CLOCK.now().timestamp()),
            ).fetchone()
            if row is not None:
                self.db.execute("DELETE FROM token WHERE token=?", (refresh_token,))
        return None if row is None else self._tokens(row[0], row[1], duration)

    def token_user(self, token: str) -> str | None:
        with self.lock:
            row = self.db.execute(
                "SELECT username FROM token WHERE token=? AND kind='access' AND expires > ?",
                (token, SYSTEM_CLOCK.now().timestamp()),
            ).fetchone()
        return row[0] if row else None

    # -- facility certificates ------------------------------------------------------------------------------
    def register_cert(self, sender_id: str, pem: str) -> None:
        x509.load_pem_x509_certificate(pem.encode())
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO facility_cert VALUES (?, ?)", (sender_id, pem))

    def cert_of(self, sender_id: str) -> x509.Certificate | None:
        with self.lock:
            row = self.db.execute("SELECT pem FROM facility_cert WHERE sender_id=?", (sender_id,)).fetchone()
        return x509.load_pem_x509_certificate(row[0].encode()) if row else None

    # -- messages -------------------------------------------------------------------------------------------
    def answer_of(self, msg_id: str) -> tuple[int, dict] | None:
        row = self.db.execute("SELECT status, answer FROM message WHERE msg_id=?", (msg_id,)).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def last_accepted(self, so_cccd: str) -> str | None:
        row = self.db.execute("SELECT max(exam_day) FROM accepted WHERE so_cccd=?", (so_cccd,)).fetchone()
        return row[0] if row else None

    def record(
        self, msg_id: str, sender_id: str, body_sha256: str, status: int, answer: dict, accepted: list[tuple]
    ) -> None:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "INSERT INTO message VALUES (?, ?, ?, ?, ?, ?)",
                (msg_id, sender_id, SYSTEM_CLOCK.now().isoformat(), body_sha256, status, json.dumps(answer)),
            )
            self.db.executemany("INSERT INTO accepted VALUES (?, ?, ?, ?)", accepted)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def counts(self) -> dict:
        with self.lock:
            messages = self.db.execute("SELECT count(*) FROM message").fetchone()[0]
            by_code: dict[str, int] = {}
            for (answer,) in self.db.execute("SELECT answer FROM message"):
                code = json.loads(answer).get("res_code", "")
                by_code[code] = by_code.get(code, 0) + 1
            accepted = self.db.execute("SELECT count(*) FROM accepted").fetchone()[0]
        return {"messages": messages, "by_res_code": by_code, "accepted_records": accepted}
