"""HTTP to the city hub (``requests``): timeouts, verified HTTPS with optional certificate pinning, the device
credential in a header, and strict reading of every answer.

An answer is trusted only when it is complete and well formed: status 200, JSON content type, a body that
parses, and for a push exactly one result per item sent, in order, with a known status. Anything else —
a dropped connection, a truncated or garbled body, an HTML error page, results for other ids — raises
``HubAnswerInvalid`` or ``HubUnreachable``: the outcome is unknown and the items are sent again with the same
ids. Nothing personal goes into URLs (cursors and limits only) or into log lines (counts and status codes).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from ksk_desktop.errors import KskError
from sync.protocol import API_PREFIX, CHANGE_TYPES, REPLICATED_KINDS, STATUSES

log = logging.getLogger("ksk.sync")

DEFAULT_TIMEOUT = (5.0, 60.0)  # connect, read (seconds)
_FINGERPRINT = re.compile(r"[0-9a-f]{64}\Z")  # \Z: $ would accept a final newline


class SyncError(KskError):
    """A sync failure; ``transient`` ones are retried with backoff, the others need a person."""

    exit_code = 11
    transient = True


class HubUnreachable(SyncError):
    """No answer: connection refused, dropped, reset or timed out."""


class HubAnswerInvalid(SyncError):
    """An answer came, but not a complete, well-formed one: the outcome is unknown."""


class HubRefused(SyncError):
    """The hub refused this device (not enrolled, revoked) or the enrolment code: retrying will not help."""

    exit_code = 6
    transient = False


class TlsRefused(SyncError):
    """The hub's certificate did not verify or did not match the pinned fingerprint."""

    transient = False


class BatchRefused(HubAnswerInvalid):
    """The hub refused the request body itself (413/422): the worker halves the batch; a single item the hub
    still refuses is parked, so it cannot block the rest."""


def normalise_fingerprint(value: str) -> str:
    fp = value.strip().lower().replace(":", "")
    if fp.startswith("sha256/") or fp.startswith("sha256="):
        fp = fp[7:]
    if not _FINGERPRINT.match(fp):
        raise KskError("Dấu vân tay chứng chỉ phải là SHA-256 dạng 64 chữ số hex (có thể có dấu ':').")
    return fp


def is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_hub_url(url: str) -> str:
    """HTTPS only, except plain HTTP to this machine (tests, a hub on the same laptop); no path tricks."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise KskError(f"Địa chỉ máy chủ không hợp lệ: {url!r} (cần https://…).")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise KskError("Máy chủ đồng bộ phải dùng HTTPS (chỉ cho phép http:// tới chính máy này).")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise KskError("Địa chỉ máy chủ không được chứa tham số, mật khẩu hay phân đoạn.")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class _PinnedAdapter(HTTPAdapter):
    """Asserts the server certificate's SHA-256 fingerprint on every new TLS connection."""

    def __init__(self, fingerprint: str, **kwargs) -> None:  # noqa: ANN003
        self._fingerprint = fingerprint
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)


class HubTransport:
    """One hub, one device credential. Safe to use from one worker thread at a time."""

    def __init__(
        self,
        base_url: str,
        credential: str | None = None,
        *,
        pin_sha256: str | None = None,
        ca_file: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> None:
        self.base_url = check_hub_url(base_url)
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # no proxy or .netrc from the environment: we talk to the hub directly
        self.session.headers.update({"User-Agent": "ksk-desktop-sync/1", "Accept": "application/json"})
        if credential:
            self.session.headers["Authorization"] = f"Bearer {credential}"
        self.pin = normalise_fingerprint(pin_sha256) if pin_sha256 else None
        if self.pin:
            # Pinned: exactly this certificate is trusted (a self-signed hub certificate works); with a CA file
            # as well, both must hold.
            self.session.mount("https://", _PinnedAdapter(self.pin))
            self.session.verify = ca_file or False
        else:
            self.session.verify = ca_file or True

    def close(self) -> None:
        self.session.close()

    # -- requests ---------------------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict | None = None,
        params: dict | None = None,
    ) -> requests.Response:
        url = f"{self.base_url}{API_PREFIX}{path}"
        data = (
            json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            if body is not None
            else None
        )
        headers = {"Content-Type": "application/json"} if data is not None else None
        try:
            resp = self.session.request(
                method,
                url,
                data=data,
                params=params,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
            resp.content  # noqa: B018 - read the whole body now, so a cut-off body fails here
        except requests.exceptions.SSLError as exc:
            log.warning("TLS failure talking to the hub (%s)", type(exc).__name__)
            raise TlsRefused(
                "Chứng chỉ của máy chủ không hợp lệ hoặc không khớp với chứng chỉ đã ghim. "
                "Kiểm tra đồng hồ máy tính và mạng; không gửi dữ liệu."
            ) from exc
        except (
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            log.info("hub unreachable (%s)", type(exc).__name__)
            raise HubUnreachable(f"Không kết nối được máy chủ đồng bộ ({type(exc).__name__}).") from exc
        except requests.exceptions.RequestException as exc:
            raise HubUnreachable(f"Lỗi kết nối máy chủ đồng bộ ({type(exc).__name__}).") from exc
        log.debug("%s %s -> %s (%d bytes)", method, path, resp.status_code, len(resp.content))
        return resp

    @staticmethod
    def _json(resp: requests.Response) -> dict:
        if resp.status_code in (401, 403, 409):
            detail = _detail(resp)
            raise HubRefused(detail or "Máy chủ từ chối thiết bị này (chưa đăng ký hoặc đã bị thu hồi).")
        if resp.status_code == 429:  # the hub limits this address for a while: a later attempt works
            raise HubAnswerInvalid("Máy chủ đang tạm giới hạn số yêu cầu từ máy này; sẽ thử lại sau.")
        if resp.status_code != 200:
            raise HubAnswerInvalid(f"Máy chủ trả lời mã {resp.status_code}.")
        ctype = resp.headers.get("Content-Type", "")
        if not ctype.lower().startswith("application/json"):
            raise HubAnswerInvalid("Máy chủ trả lời không phải JSON.")
        try:
            body = json.loads(resp.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise HubAnswerInvalid("Câu trả lời của máy chủ bị cắt hoặc hỏng.") from None
        if not isinstance(body, dict):
            raise HubAnswerInvalid("Câu trả lời của máy chủ không đúng định dạng.")
        return body

    # -- the API ----------------------------------------------------------------------------------
    def health(self) -> dict:
        body = self._json(self._request("GET", "/health"))
        if body.get("status") != "ok":
            raise HubAnswerInvalid("Máy chủ chưa sẵn sàng.")
        return body

    def enroll(self, code: str, station_code: str, station_id: str, commune_code: str | None) -> dict:
        resp = self._request(
            "POST",
            "/enroll",
            body={
                "code": code,
                "station_code": station_code,
                "station_id": station_id,
                "commune_code": commune_code,
            },
        )
        body = self._json(resp)
        if not all(isinstance(body.get(k), str) and body.get(k) for k in ("device_id", "token")):
            raise HubAnswerInvalid("Câu trả lời đăng ký không đúng định dạng.")
        return body

    def push(self, items: list[dict]) -> list[dict]:
        """Send a batch; returns one checked result per item, in order, or raises (outcome unknown)."""
        resp = self._request("POST", "/push", body={"items": items})
        if resp.status_code in (413, 422):
            raise BatchRefused(f"Máy chủ không nhận định dạng của lô dữ liệu (mã {resp.status_code}).")
        return check_push_answer(self._json(resp), items)

    def moh_status(self) -> dict:
        """What the hub reports about the station's QĐ 1551 envelopes (``/moh-status``)."""
        body = self._json(self._request("GET", "/moh-status"))
        if not isinstance(body.get("items"), list):
            raise HubAnswerInvalid("Câu trả lời của máy chủ không đúng định dạng.")
        return body

    def changes(self, cursor: int, limit: int = 500) -> dict:
        body = self._json(self._request("GET", "/changes", params={"cursor": cursor, "limit": limit}))
        return check_changes_answer(body, cursor)

    def device_key(self, public_key: str) -> dict:
        """Register this device's public key; the answer carries the station's transfer key."""
        body = self._json(self._request("POST", "/device-key", body={"public_key": public_key}))
        if not all(
            isinstance(body.get(k), str) and body[k] for k in ("device_id", "station_key_id", "station_key")
        ):
            raise HubAnswerInvalid("Câu trả lời đăng ký khóa thiết bị không đúng định dạng.")
        return body

    def station_items(self, cursor: int, limit: int = 500) -> dict:
        """A page of the station feed (items the station's other devices delivered), checked."""
        body = self._json(self._request("GET", "/station-items", params={"cursor": cursor, "limit": limit}))
        return check_station_items_answer(body, cursor)


def _detail(resp: requests.Response) -> str | None:
    try:
        detail = resp.json().get("detail")
    except ValueError:
        return None
    return detail if isinstance(detail, str) else None


def check_push_answer(body: dict, items: list[dict]) -> list[dict]:
    """The per-item answer must match the items sent exactly (ids, order, known statuses)."""
    results = body.get("results")
    if not isinstance(results, list) or len(results) != len(items) or body.get("count") != len(items):
        raise HubAnswerInvalid("Câu trả lời không khớp số mục đã gửi.")
    checked = []
    for sent, res in zip(items, results, strict=True):
        if (
            not isinstance(res, dict)
            or res.get("item_id") != sent["item_id"]
            or res.get("status") not in STATUSES
        ):
            raise HubAnswerInvalid("Câu trả lời không khớp các mục đã gửi.")
        if res["status"] == "rejected" and not (isinstance(res.get("reason"), str) and res["reason"]):
            raise HubAnswerInvalid("Mục bị từ chối nhưng thiếu lý do.")
        checked.append(res)
    return checked


def check_changes_answer(body: dict, cursor: int) -> dict:
    changes, next_cursor, more = body.get("changes"), body.get("next_cursor"), body.get("more")
    if (
        not isinstance(changes, list)
        or not isinstance(next_cursor, int)
        or not isinstance(more, bool)
        or not isinstance(body.get("catalogue", []), list)
    ):
        raise HubAnswerInvalid("Danh sách thay đổi không đúng định dạng.")
    last = cursor
    for ch in changes:
        if (
            not isinstance(ch, dict)
            or not isinstance(ch.get("seq"), int)
            or ch["seq"] <= last
            or ch.get("type") not in CHANGE_TYPES
            or not isinstance(ch.get("entity_id"), str)
            or not isinstance(ch.get("data"), dict)
        ):
            raise HubAnswerInvalid("Danh sách thay đổi không đúng định dạng.")
        last = ch["seq"]
    if next_cursor < last:
        raise HubAnswerInvalid("Con trỏ thay đổi lùi lại.")
    return body


def check_station_items_answer(body: dict, cursor: int) -> dict:
    """A station-feed page must be complete: ascending seqs after the cursor, known kinds, ids as text, a cursor
    that never goes back, and the station's devices."""
    items, next_cursor, more = body.get("items"), body.get("next_cursor"), body.get("more")
    devices, remaining = body.get("devices"), body.get("remaining")
    if (
        not isinstance(items, list)
        or not isinstance(next_cursor, int)
        or not isinstance(more, bool)
        or not isinstance(remaining, int)
        or not isinstance(devices, list)
    ):
        raise HubAnswerInvalid("Danh sách dữ liệu của trạm không đúng định dạng.")
    last = cursor
    for it in items:
        if (
            not isinstance(it, dict)
            or not isinstance(it.get("seq"), int)
            or it["seq"] <= last
            or it.get("kind") not in REPLICATED_KINDS
            or not all(isinstance(it.get(k), str) and it[k] for k in ("item_id", "entity_id", "device_id"))
            or not isinstance(it.get("entity_version"), int)
            or not isinstance(it.get("payload"), dict)
        ):
            raise HubAnswerInvalid("Danh sách dữ liệu của trạm không đúng định dạng.")
        last = it["seq"]
    for d in devices:
        if not isinstance(d, dict) or not isinstance(d.get("device_id"), str):
            raise HubAnswerInvalid("Danh sách máy của trạm không đúng định dạng.")
    if next_cursor < last:
        raise HubAnswerInvalid("Con trỏ dữ liệu của trạm lùi lại.")
    return body
