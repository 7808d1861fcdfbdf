"""Start the real hub (``ksk hub serve``) in a child process on loopback and wait until it listens."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import requests


class HubProcess:
    """A ``ksk hub serve`` child process; ``url`` is set once it listens. Always ``stop()`` it (or use ``with``)."""

    def __init__(
        self,
        db: Path | str,
        port: int = 0,
        *,
        extra: list[str] | None = None,
        env: dict | None = None,
        log: Path | None = None,
    ) -> None:
        self.db, self.port, self.extra, self.env, self.log = str(db), port, extra or [], env, log
        self.proc: subprocess.Popen | None = None
        self.url = ""

    def start(self, timeout: float = 30.0) -> HubProcess:
        cmd = [
            sys.executable,
            "-m",
            "ksk_desktop.cli.main",
            "hub",
            "serve",
            "--db",
            self.db,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.extra,
        ]
        stderr = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=stderr, env=dict(os.environ, **(self.env or {})), text=True
        )
        if self.log:
            stderr.close()
        deadline = time.monotonic() + timeout
        line = self.proc.stdout.readline()  # the one JSON line printed once the socket listens
        if not line:
            self.stop()
            raise RuntimeError("hub did not start")
        info = json.loads(line)
        self.port, self.url = info["port"], info["listening"]
        while time.monotonic() < deadline:
            try:
                with warnings.catch_warnings():  # only "is it up?": the tests check certificates themselves
                    warnings.simplefilter("ignore")
                    if requests.get(f"{self.url}/api/v1/health", timeout=2, verify=False).status_code == 200:
                        return self
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("hub did not answer /health")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown (a crash or a power cut of the hub)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    def __enter__(self) -> HubProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
