"""The hub refuses before it reads: the gate in front of the API, rate limits, and per-item payload limits.

``Gate`` is an ASGI middleware that runs before FastAPI reads anything of a request's body:

1. a declared ``Content-Length`` above the limit (8 MiB; 4 KiB for enrolment) is answered 413 at once;
2. on the authenticated paths the device credential is checked from the headers alone — an unknown or revoked
   credential is answered 401/403 without reading the body, and an address that keeps failing is answered 429
   for a while (before any database lookup);
3. enrolment attempts are rate-limited per address (429);
4. only then is the body read, and a body that turns out larger than the limit (chunked) is answered 413 as
   soon as it passes it — never buffered beyond it.

Refusals of requests whose sender is unknown close the connection, so an unauthenticated upload costs the hub
one buffer, not its size. Rate limits are kept in memory per hub process, by the peer's address: behind a
reverse proxy, have the proxy limit too (it sees the real addresses).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sync.hub.errors import HubError, TooMany
from sync.hub.items import ItemRejected
from sync.protocol import API_PREFIX

MiB = 1024 * 1024
MAX_BODY = 8 * MiB  # a push of 1,000 items, each within its own limit below, stays far under it
MAX_ENROLL_BODY = 4 * 1024
ENROLL_PER_MINUTE = 10  # per address: a station enrols a handful of laptops, once
AUTH_FAILURES_PER_MINUTE = 20  # per address: a laptop with a wrong or revoked credential retries slowly

#: Canonical JSON size of one item's payload, by kind (bytes).
PAYLOAD_MAX = {
    "exam": 256 * 1024,
    "amendment": 256 * 1024,
    # An old (unwrapped) doctor's key lists the exams it signed that were not sent yet: up to 20,000 entries of
    # ~160 bytes (sync.hub.doctor_keys.MAX_LEGACY_EXAMS), so about 3.2 MB at most; a push still stays under MAX_BODY.
    "doctor_key": 4 * MiB,
    "report": 64 * 1024,  # a submitted report: the figures, the footnotes, the signer
    "moh_push": 1 * MiB,  # a signed QĐ 1551 file in its envelope (Base64 of a file holding Base64 records)
}
PAYLOAD_MAX_DEFAULT = 32 * 1024
PAYLOAD_MAX_DEPTH = 16

ENROLL_PATH = f"{API_PREFIX}/enroll"
AUTHENTICATED_PATHS = frozenset(
    {f"{API_PREFIX}/push", f"{API_PREFIX}/changes", f"{API_PREFIX}/station-items", f"{API_PREFIX}/device-key"}
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# -- per-item payload limits ------------------------------------------------------------------------
def _depth(value: object) -> int:
    """Nesting depth of a JSON value (iterative: a hostile document cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > PAYLOAD_MAX_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def check_payload(kind: str, payload: object) -> None:
    """An item's payload must be text every backend can store (no lone UTF-16 surrogates), nested at most
    ``PAYLOAD_MAX_DEPTH`` deep and no larger than its kind's limit; raises ItemRejected."""
    if _depth(payload) > PAYLOAD_MAX_DEPTH:
        raise ItemRejected("payload_too_deep", "Nội dung mục lồng nhau quá sâu.")
    try:
        size = len(
            json.dumps(
                payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
            ).encode()
        )
    except UnicodeEncodeError:
        raise ItemRejected("bad_text", "Nội dung mục có ký tự không hợp lệ (mã UTF-16 lẻ).") from None
    except (TypeError, ValueError):
        raise ItemRejected("bad_payload", "Nội dung mục không phải JSON hợp lệ.") from None
    limit = PAYLOAD_MAX.get(kind, PAYLOAD_MAX_DEFAULT)
    if size > limit:
        raise ItemRejected("payload_too_large", f"Nội dung mục quá lớn (tối đa {limit // 1024} KiB).")


# -- rate limits ------------------------------------------------------------------------------------
class RateLimiter:
    """A token bucket per key (an address): *per_minute* tokens, refilled evenly; 0 turns it off."""

    MAX_KEYS = 10_000

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - at) * self.rate)

    def allowed(self, key: str) -> bool:
        """Whether *key* has a token left (without taking it)."""
        if self.capacity <= 0:
            return True
        with self._lock:
            return self._level(key, self.clock()) >= 1.0

    def take(self, key: str) -> bool:
        """Take a token; False (and nothing taken) when none is left."""
        if self.capacity <= 0:
            return True
        with self._lock:
            now = self.clock()
            level = self._level(key, now)
            ok = level >= 1.0
            self._buckets[key] = (level - 1.0 if ok else level, now)
            if len(self._buckets) > self.MAX_KEYS:  # forget addresses whose bucket has refilled
                self._buckets = {
                    k: v for k, v in self._buckets.items() if self._level(k, now) < self.capacity
                }
            return ok

    def retry_after(self, key: str) -> int:
        """Whole seconds until *key* has a token again."""
        if self.capacity <= 0:
            return 0
        with self._lock:
            missing = 1.0 - self._level(key, self.clock())
        return max(1, math.ceil(missing / self.rate)) if missing > 0 else 0


# -- the gate ---------------------------------------------------------------------------------------
def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value
    return None


def _bearer(scope: Scope) -> str | None:
    value = _header(scope, b"authorization")
    if not value:
        return None
    scheme, _, token = value.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _too_large(limit: int) -> str:
    return f"Nội dung gửi lên quá lớn (tối đa {limit // 1024} KiB)."


async def answer(
    send: Send, status: int, detail: str, *, close: bool, headers: dict[str, str] | None = None
) -> None:
    """A JSON refusal ``{"detail": …}``; *close*: the connection is closed after it (the body is not read)."""
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    if close:
        raw.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class Gate:
    """The ASGI middleware described in the module docstring. *authenticate* is ``HubStore.authenticate``
    (blocking: run in a worker thread); the device it returns is left in ``scope["state"]["device"]``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticate: Callable[[str | None], object],
        max_body: int = MAX_BODY,
        enroll_per_minute: int = ENROLL_PER_MINUTE,
        auth_failures_per_minute: int = AUTH_FAILURES_PER_MINUTE,
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.max_body = max_body
        self.enrolments = RateLimiter(enroll_per_minute)
        self.failures = RateLimiter(auth_failures_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from anyio import to_thread  # the web stack is the hub's optional part: imported when serving

        path, method = scope.get("path", ""), scope.get("method", "GET")
        address = str((scope.get("client") or ("unknown",))[0])
        limit = MAX_ENROLL_BODY if path == ENROLL_PATH else self.max_body
        declared = _header(scope, b"content-length")
        length = 0
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await answer(send, 400, "Content-Length không hợp lệ.", close=True)
                return
        authenticated = path in AUTHENTICATED_PATHS
        if authenticated:
            if not self.failures.allowed(address):
                await self._too_many(send, self.failures, address)
                return
            try:
                device = await to_thread.run_sync(self.authenticate, _bearer(scope))
            except HubError as exc:
                self.failures.take(address)
                extra = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
                await answer(send, exc.status, exc.message, close=True, headers=extra)
                return
            scope.setdefault("state", {})["device"] = device
        elif path == ENROLL_PATH and method == "POST" and not self.enrolments.take(address):
            await self._too_many(send, self.enrolments, address)
            return
        if length > limit:
            # Said too large before a byte of it is read. A device's oversized batch is drained unread by the
            # server so the device reads this answer (and sends smaller batches); anyone else is cut off.
            await answer(send, 413, _too_large(limit), close=not authenticated)
            return
        if method not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await answer(send, 413, _too_large(limit), close=not authenticated)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        chunks.clear()
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _too_many(send: Send, limiter: RateLimiter, address: str) -> None:
        wait = limiter.retry_after(address) or 1
        exc = TooMany(f"Quá nhiều yêu cầu từ địa chỉ này; thử lại sau {wait} giây.", wait)
        await answer(send, exc.status, exc.message, close=True, headers={"Retry-After": str(wait)})
