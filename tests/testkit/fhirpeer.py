"""Start the FHIR test peer (Medplum's FHIR engine behind ``tests/peers/medplum/server.mjs``) on loopback.

``installer/dev-setup.sh`` installs it with ``npm ci``; the pinned ``node`` package brings Node 22, which
Medplum 5 needs. Without it, a machine Node ≥ 22 is used as is, or Node 20 with ``--experimental-websocket``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import requests

from testkit.hubproc import HubProcess

PEER_DIR = Path(__file__).resolve().parents[2] / "tests" / "peers" / "medplum"


class PeerUnavailable(RuntimeError):
    pass


def _version(node: str) -> tuple[int, int]:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=20).stdout.strip()
    major, minor, *_ = out.lstrip("v").split(".")
    return int(major), int(minor)


def node_command() -> list[str]:
    """How to run the shim here; raises PeerUnavailable with the reason when it cannot run."""
    if not (PEER_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir():
        raise PeerUnavailable(
            f"the FHIR peer is not installed: run `npm ci` in {PEER_DIR} (installer/dev-setup.sh does it)"
        )
    bundled = PEER_DIR / "node_modules" / ".bin" / "node"
    for node in (str(bundled) if bundled.exists() else None, shutil.which("node")):
        if not node:
            continue
        try:
            version = _version(node)
        except (OSError, ValueError, subprocess.SubprocessError):
            continue
        if version >= (22, 0):
            return [node]
        if version >= (20, 10):
            return [node, "--experimental-websocket"]
    raise PeerUnavailable("no Node.js ≥ 20.10 found to run the FHIR peer")


def node_present() -> bool:
    return shutil.which("node") is not None or (PEER_DIR / "node_modules" / ".bin" / "node").exists()


class FhirPeer(HubProcess):
    """The shim in a child process; ``url`` is its FHIR base (``http://127.0.0.1:N/fhir/R4``) once it answers.
    Stopping, SIGKILL and ``with`` work as for the hub process."""

    def __init__(self, port: int = 0, log: Path | None = None) -> None:
        super().__init__("", port, log=log)

    def start(self, timeout: float = 90.0) -> FhirPeer:
        cmd = [*node_command(), str(PEER_DIR / "server.mjs"), "--port", str(self.port)]
        stderr = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed below
        self.proc = subprocess.Popen(cmd, cwd=PEER_DIR, stdout=subprocess.PIPE, stderr=stderr, text=True)
        if self.log:
            stderr.close()
        line = self.proc.stdout.readline()  # printed once it listens (after indexing the R4 definitions)
        if not line:
            self.stop()
            raise PeerUnavailable("the FHIR peer exited before listening")
        info = json.loads(line)
        self.port, self.url = info["port"], info["listening"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise PeerUnavailable("the FHIR peer did not answer")
