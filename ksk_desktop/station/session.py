"""A logged-in user's session on an open station: the only way services reach the database."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ksk_desktop.clock import SYSTEM_CLOCK, Clock
from ksk_desktop.db.database import Database
from ksk_desktop.errors import PermissionDenied
from ksk_desktop.security.keystore import KeyStore
from ksk_desktop.security.roles import PERM_LABELS, ROLE_LABELS, Perm, Role, allowed
from ksk_desktop.station import audit
from ksk_desktop.station.audit import Anchor
from ksk_desktop.station.paths import StationPaths


@dataclass(frozen=True)
class CurrentUser:
    id: str
    username: str
    full_name: str
    role: Role

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


class StationSession:
    """Holds the open database, the keystore, the user and the clock (``clock.today()`` is today in Vietnam;
    a test freezes time by setting a ``FixedClock``); checks permissions; keeps the audit anchor."""

    def __init__(
        self,
        paths: StationPaths,
        keystore: KeyStore,
        db: Database,
        user: CurrentUser,
        key: bytes,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.paths = paths
        self.keystore = keystore
        self.db = db
        self.user = user
        self.clock = clock
        self._anchor_key = keystore.anchor_key(key)

    # -- permissions ------------------------------------------------------------------------------
    def can(self, perm: Perm) -> bool:
        return allowed(self.user.role, perm)

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDenied(
                f"Người dùng {self.user.username} ({self.user.role_label}) không có quyền {PERM_LABELS[perm]}."
            )

    # -- units of work ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self.db.read() as session:
            session.info["clock"] = self.clock
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction; the audit anchor moves to the new chain head in two steps: pending just before
        the commit, confirmed just after (``ksk_desktop.station.audit``).

        The anchor only moves if it still covers the head this transaction started from: after tampering
        it stays put, so the evidence is not papered over by the next ordinary write.
        """
        path, key = self.paths.anchor, self._anchor_key  # the key as it is now: a lock may clear it meanwhile
        moved: tuple[tuple[int, str], tuple[int, str]] | None = None
        previous = None
        try:
            with self.db.write() as session:
                session.info["clock"] = self.clock  # for helpers handed only the SQL session (the outbox)
                yield session
                new_head = session.info.get("audit_head")
                base = session.info.get("audit_base")
                if new_head is not None and base is not None:
                    with audit.anchor_lock(path):
                        if audit.read_anchor(path, key).covers(base):
                            previous = audit.write_anchor(path, key, new_head, base)
                            moved = (new_head, base)
        except BaseException:
            if moved is not None:  # the commit failed after the anchor moved: put it back if it is still ours
                with audit.anchor_lock(path):
                    mine = audit.read_anchor(path, key)
                    if (mine.seq, mine.hash, mine.prev_seq, mine.prev_hash) == (*moved[0], *moved[1]):
                        audit.restore_anchor(path, previous)
            raise
        if moved is not None:
            audit.confirm_anchor(path, key, *moved)

    def audit(
        self,
        session: Session,
        action: str,
        entity_type: str,
        entity_id: str | None = None,
        details: dict | None = None,
    ) -> None:
        audit.append(
            session, self.user.username, action, entity_type, entity_id, details, at=self.clock.now()
        )

    def read_anchor(self) -> Anchor:  # not audit.Anchor: in the class body, "audit" is the method
        return audit.read_anchor(self.paths.anchor, self._anchor_key)

    @property
    def key(self) -> bytes:
        return self.db.key

    @property
    def closed(self) -> bool:
        return self.db.closed

    @property
    def closing(self) -> bool:
        """True once ``close()`` has begun (no new unit of work is accepted), and after."""
        return self.db.closing

    def close(self) -> None:
        """Lock or log out: refuse new units of work, wait for those running (a write in flight commits and
        moves the audit anchor with the key it still has), then close every connection and forget the keys.

        It may wait as long as the longest unit of work still running: a front end that must not block calls
        it off its GUI thread."""
        self.db.close()
        self._anchor_key = b""
