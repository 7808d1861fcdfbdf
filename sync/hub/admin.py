"""What the hub administrator does through a ``HubStore``: the station registry and handovers.

``HubStore`` inherits these methods (``store.add_station(…)``, ``store.release_handover(…)``); the ``ksk hub
station|handover`` commands call them. The rules live in ``sync.hub.stations``, ``sync.hub.handover`` and
``sync.hub.people``; here are only the units of work around them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from sync.hub import handover, people, stations
from sync.hub.errors import Conflict, NotFound
from sync.hub.models import HubPerson

log = logging.getLogger("ksk.hub")


class HubAdministration:
    """The administrator's operations; mixed into ``HubStore``, which provides ``session`` and ``clock``."""

    clock: Callable[[], datetime]

    def session(self, *, write: bool = False) -> contextlib.AbstractContextManager[Session]:
        raise NotImplementedError  # HubStore's

    # -- the station registry -----------------------------------------------------------------------
    def add_station(
        self,
        code: str,
        communes: list[str],
        *,
        name: str | None = None,
        facilities: list[str] | None = None,
    ) -> dict:
        """Register a station and the communes it serves (the first is its own); see ``sync.hub.stations``."""
        with self.session(write=True) as s:
            info = stations.add(s, code, communes, self.clock(), name=name, facilities=facilities)
        log.info("station registered: %s", info.code)
        return info.to_json()

    def stations(self) -> list[dict]:
        with self.session() as s:
            return stations.listing(s)

    # -- handovers --------------------------------------------------------------------------------
    def handovers(self, *, everything: bool = False) -> list[dict]:
        """Handover requests (pending ones, or all): ids and station codes only."""
        with self.session() as s:
            return handover.listing(s, everything=everything)

    def release_handover(self, request_id: int) -> dict:
        """The administrator releases a request: the person moves to the requesting station."""
        with self.session(write=True) as s:
            row = s.get(handover.HubHandover, request_id)
            if row is None:
                raise NotFound(f"Không có yêu cầu chuyển giao #{request_id}.")
            done = people.hand_over(s, row, self.clock())
        log.info("handover #%s released to station %s", request_id, done["to_station"])
        return done

    def refuse_handover(self, request_id: int) -> dict:
        with self.session(write=True) as s:
            row = s.get(handover.HubHandover, request_id)
            if row is None:
                raise NotFound(f"Không có yêu cầu chuyển giao #{request_id}.")
            if row.state != handover.PENDING:
                raise Conflict("Yêu cầu chuyển giao này đã được xử lý.")
            row.state, row.decided_at = handover.REFUSED, self.clock()
            return handover.to_json(row)

    def move_person(self, person_id: str, to_station: str, commune_code: str | None = None) -> dict:
        """The administrator hands a person over directly (e.g. the owning station asked for it)."""
        now = self.clock()
        with self.session(write=True) as s:
            kept = people.resolve(s, person_id)
            person = s.get(HubPerson, kept)
            if person is None:
                raise NotFound("Máy chủ không có hồ sơ người này.")
            station = stations.get(s, to_station)
            if station is None:
                raise NotFound(f"Trạm {to_station} chưa được đăng ký ở máy chủ.")
            if commune_code is not None and commune_code not in station.communes:
                raise Conflict(f"Trạm {to_station} không phục vụ xã/phường {commune_code}.")
            if station.code == stations.station_of_commune(s, person.commune_code):
                raise Conflict(f"Người này đã thuộc trạm {to_station}.")
            row = handover.request(
                s,
                person_id=kept,
                linked_id=kept,
                from_station=stations.station_of_commune(s, person.commune_code),
                to_station=station.code,
                to_commune=commune_code or station.communes[0],
                requested_by="admin",
                now=now,
                reopen=True,
            )
            done = people.hand_over(s, row, now)
        log.info("person handed over to station %s by the administrator", to_station)
        return done | {"request_id": row.id}
