"""The thread both of the hub's forwarders run (signed exams to the city's FHIR record system, QĐ 1551 envelopes to
the Ministry): a round over the rows due now, then a wait until the next row is due, the longest idle wait
passes, or a push wakes it; a round that fails is logged and the next one tries again."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy.orm import Session

from sync.hub.store import HubStore

log = logging.getLogger("ksk.hub")


class ForwardLoop:
    """Base of a forwarder: ``start()`` runs ``run_once`` rounds in a daemon thread until ``stop()``."""

    thread_name = "ksk-forward"

    def __init__(self, store: HubStore, wake: threading.Event, poll_s: float) -> None:
        self.store, self._wake, self._poll_s = store, wake, poll_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> object:  # pragma: no cover - each forwarder has its own
        raise NotImplementedError

    def next_due(self, s: Session) -> datetime | None:  # pragma: no cover - each forwarder has its own
        raise NotImplementedError

    def now(self) -> datetime:  # pragma: no cover - each forwarder has its own clock
        raise NotImplementedError

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the thread must not die: the next round tries again
                log.exception("%s round failed", self.thread_name)
            with self.store.session() as s:
                nxt = self.next_due(s)
            wait = self._poll_s
            if nxt is not None:
                wait = min(wait, max(0.0, (nxt - self.now()).total_seconds()))
            self._wake.wait(wait)
            self._wake.clear()
