"""HTTP client of the Ministry's data hub: log in with the facility's agent account, refresh the token before it
expires (log in again on a 401, once), push one envelope. Network trouble, timeouts, 5xx and answers that are
not the Ministry's JSON are :class:`MohUnavailable` (try again later); any JSON answer carrying a ``res_code``
is returned as it is, for the forwarder to act on."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

PUSH_PATH = "/api/platform/data-sync/push"


class MohUnavailable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Answer:
    http_status: int
    body: dict  # has "res_code"


def canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def receiver_signature_ok(answer: dict, cert: x509.Certificate | None) -> bool | None:
    """Whether the answer's ``signature`` is the receiver's over the rest of the answer (None: no cert set)."""
    if cert is None:
        return None
    public = cert.public_key()
    try:
        signature = base64.b64decode(str(answer.get("signature", "")), validate=True)
        rest = {k: v for k, v in answer.items() if k != "signature"}
        assert isinstance(public, rsa.RSAPublicKey)
        public.verify(signature, canonical(rest), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, AssertionError):
        return False
    return True


class MohClient:
    """One agent account's session with the data hub; thread-safe."""

    def __init__(self, base_url: str, username: str, password: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.username, self._password = username, password
        self.timeout = timeout
        self.http = requests.Session()
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh: str | None = None
        self._expires = 0.0  # time.monotonic() when the token is no longer good
        self.logins = 0

    def close(self) -> None:
        self.http.close()

    def _post(self, path: str, body: bytes, headers: dict) -> requests.Response:
        try:
            return self.http.post(
                self.base_url + path, data=body, headers={"Content-Type": "application/json", **headers},
                timeout=self.timeout,
            )  # fmt: skip
        except requests.RequestException as exc:
            raise MohUnavailable(f"Không kết nối được máy chủ Bộ Y tế ({type(exc).__name__}).") from exc

    def _auth(self, path: str, body: dict) -> bool:
        resp = self._post(path, canonical(body), {})
        if resp.status_code >= 500:
            raise MohUnavailable(f"Máy chủ Bộ Y tế lỗi {resp.status_code} khi đăng nhập.")
        try:
            data = resp.json()
        except ValueError as exc:
            raise MohUnavailable("Máy chủ Bộ Y tế trả lời không phải JSON khi đăng nhập.") from exc
        if resp.status_code != 200 or not isinstance(data, dict) or not data.get("token"):
            return False
        self._token, self._refresh = str(data["token"]), data.get("refresh_token")
        duration = float(data.get("duration") or 300)
        self._expires = time.monotonic() + duration * 0.8  # refresh well before it runs out
        self.logins += 1
        return True

    def token(self, *, force_login: bool = False) -> str:
        with self._lock:
            if self._token and not force_login and time.monotonic() < self._expires:
                return self._token
            if (
                self._refresh
                and not force_login
                and self._auth("/api/auth/refresh", {"refresh_token": self._refresh})
            ):
                assert self._token is not None
                return self._token
            if not self._auth("/api/auth/login", {"username": self.username, "password": self._password}):
                raise MohUnavailable("Tài khoản liên thông Bộ Y tế bị từ chối đăng nhập; kiểm tra cấu hình.")
            assert self._token is not None
            return self._token

    def push(self, body: bytes) -> Answer:
        """POST one envelope (its exact bytes); on a 401 log in again once."""
        resp = self._send(body, self.token())
        if resp.status_code == 401:
            resp = self._send(body, self.token(force_login=True))
        if resp.status_code >= 500 or resp.status_code in (401, 404, 408, 429):
            raise MohUnavailable(f"Máy chủ Bộ Y tế trả lời {resp.status_code}; sẽ thử lại.")
        try:
            data = resp.json()
        except ValueError as exc:
            raise MohUnavailable("Máy chủ Bộ Y tế trả lời không đọc được; sẽ thử lại.") from exc
        if not isinstance(data, dict) or not isinstance(data.get("res_code"), str):
            raise MohUnavailable("Máy chủ Bộ Y tế trả lời thiếu res_code; sẽ thử lại.")
        return Answer(resp.status_code, data)

    def _send(self, body: bytes, token: str) -> requests.Response:
        return self._post(PUSH_PATH, body, {"Authorization": f"Bearer {token}", "service-type": "100"})
