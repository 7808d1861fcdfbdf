"""Run the reference hub under uvicorn on a socket we bind ourselves (so ``--port 0`` reports the real port)."""

from __future__ import annotations

import json
import socket
import sys

from sync.hub.store import HubStore


def db_url(value: str | None) -> str:
    """A SQLAlchemy URL from ``--db``: a URL as is, a plain path as an SQLite file."""
    if not value:
        return "sqlite:///hub.db"
    if "://" in value:
        return value
    return f"sqlite:///{value}"


def certificate_fingerprint(pem_path: str) -> str:
    """SHA-256 of a PEM certificate's DER bytes: what a station pins (``ksk sync enroll --pin``)."""
    import hashlib
    import ssl
    from pathlib import Path

    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(Path(pem_path).read_text(encoding="ascii"))).hexdigest()


def serve(
    url: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    access_log: bool = False,
    fhir_url: str | None = None,
    fhir_max_entries: int = 8,
    fhir_retry_s: float = 2.0,
) -> None:
    """Serve ``/api/v1`` until interrupted; prints one JSON line with the address once listening. With
    *fhir_url*, accepted signed exams are forwarded there (``sync.fhir.forward``) from a background thread."""
    import uvicorn

    from sync.hub.app import create_app

    store = HubStore(url)
    forwarder = None
    if fhir_url:
        from sync.fhir.client import FhirClient
        from sync.fhir.forward import ForwardConfig, Forwarder

        forwarder = Forwarder(
            store,
            FhirClient(fhir_url, max_entries=fhir_max_entries),
            config=ForwardConfig(retry_base_s=fhir_retry_s),
        )
        forwarder.start()
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    real_port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(store),
        log_level="warning",
        access_log=access_log,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    scheme = "https" if ssl_certfile else "http"
    print(json.dumps({"listening": f"{scheme}://{host}:{real_port}", "port": real_port}), flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        if forwarder is not None:
            forwarder.stop()
            forwarder.client.close()
        store.close()
        sys.stdout.flush()
