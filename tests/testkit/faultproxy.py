"""A small fault-injecting HTTP proxy for loopback tests (a Toxiproxy stand-in; research/reliability.md §3.3).

Each connection carries one request (``Connection: close`` both ways). With probability ``fail_rate`` a fault
is injected, chosen at random from ``faults``:

- ``drop``: close the connection before forwarding (the hub never sees the request)
- ``delay``: hold the request for a while, then forward it normally (slow network; not a failure)
- ``error_500`` / ``error_503``: answer that status without forwarding
- ``html_200``: answer 200 with an HTML page (a captive portal) without forwarding
- ``commit_then_503``: forward (the hub commits) but answer 503
- ``reset_after_commit``: forward (the hub commits), then reset the connection with no answer at all
- ``reset_mid_response``: forward, send half of the answer, reset
- ``truncate_body``: forward, send the headers and half of the body, close normally
- ``garble_body``: forward, replace the body with junk of the same length

``plan`` fixes the faults of the first requests; ``stats`` counts what was done, so a test can check that
faults really happened.
"""

from __future__ import annotations

import random
import socket
import socketserver
import struct
import threading
import time
from collections import Counter

FAULTS = (
    "drop",
    "delay",
    "error_500",
    "error_503",
    "html_200",
    "commit_then_503",
    "reset_after_commit",
    "reset_mid_response",
    "truncate_body",
    "garble_body",
)


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 1 << 20:
            return None
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    lines = [
        ln
        for ln in head.split(b"\r\n")
        if ln.split(b":")[0].strip().lower() not in (b"connection", b"keep-alive")
    ]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body


def _reset(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _answer(status: str, body: bytes, ctype: str) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n\r\n"
    ).encode() + body


class FaultProxy:
    """Listens on 127.0.0.1 and forwards to ``upstream`` (host, port), injecting faults."""

    def __init__(
        self,
        upstream: tuple[str, int],
        *,
        fail_rate: float = 0.3,
        faults: tuple[str, ...] = FAULTS,
        seed: int = 0,
        delay_s: tuple[float, float] = (0.05, 0.4),
        latency_s: float = 0.0,
        plan: list[str] | None = None,
    ) -> None:
        self.upstream = upstream
        self.plan = list(plan or [])  # faults for the first requests, in order, before the random ones
        self.fail_rate = fail_rate
        self.faults = faults
        self.delay_s = delay_s
        self.latency_s = latency_s
        self.rng = random.Random(seed)
        self.stats: Counter[str] = Counter()
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _choose(self) -> tuple[str, float]:
        with self._lock:
            if self.plan:
                fault = self.plan.pop(0)
            else:
                fault = self.rng.choice(self.faults) if self.rng.random() < self.fail_rate else "pass"
            delay = self.rng.uniform(*self.delay_s)
            self.stats[fault] += 1
        return fault, delay

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(self.upstream, timeout=30) as up:
            up.sendall(request)
            chunks = []
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        return b"".join(chunks)

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        try:
            request = _read_request(conn)
            if request is None:
                conn.close()
                return
            fault, delay = self._choose()
            if self.latency_s:
                time.sleep(self.latency_s)
            if fault == "drop":
                conn.close()
                return
            if fault in ("error_500", "error_503"):
                status = "500 Internal Server Error" if fault == "error_500" else "503 Service Unavailable"
                conn.sendall(_answer(status, b'{"detail":"injected"}', "application/json"))
                conn.close()
                return
            if fault == "html_200":
                conn.sendall(_answer("200 OK", b"<html><body>Wi-Fi login</body></html>", "text/html"))
                conn.close()
                return
            if fault == "delay":
                time.sleep(delay)
            try:
                response = self._forward(request)
            except OSError:
                _reset(conn)
                return
            head, _, body = response.partition(b"\r\n\r\n")
            if fault == "commit_then_503":
                conn.sendall(_answer("503 Service Unavailable", b'{"detail":"injected"}', "application/json"))
            elif fault == "reset_after_commit":
                _reset(conn)
                return
            elif fault == "reset_mid_response":
                conn.sendall(response[: max(1, len(response) // 2)])
                _reset(conn)
                return
            elif fault == "truncate_body":
                conn.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
            elif fault == "garble_body":
                junk = bytes(self.rng.randrange(32, 127) for _ in range(len(body)))
                conn.sendall(head + b"\r\n\r\n" + junk)
            else:
                conn.sendall(response)
            conn.close()
        except OSError:
            conn.close()
