"""Stations for sync tests and benchmarks: synthetic people, registration at the hub and enrolment, and what the
set checker compares."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from ksk_desktop.db.models import OutboxItem
from ksk_desktop.demo.synthetic import generate_people
from ksk_desktop.outbox import sync_state
from ksk_desktop.people import persons
from ksk_desktop.station.lifecycle import init_station
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.session import StationSession
from sync.client.transport import HubTransport
from sync.hub.store import HubStore

PASSWORD = "Quan-tri-2026"


def new_station(root: Path, code: str = "TYT-TEST", commune: str = "10507") -> StationPaths:
    paths = StationPaths(root)
    init_station(
        paths,
        station_code=code,
        commune_code=commune,
        admin_username="admin",
        admin_password=PASSWORD,
        admin_full_name="Quản Trị",
    )
    return paths


def synthetic_people(
    n: int, *, seed: int = 7, commune: str = "10507", offset: int = 0
) -> list[persons.PersonInput]:
    return [
        persons.PersonInput.from_dict(p)
        for p in generate_people(
            n, seed=seed, commune_code=commune, reference_date=date(2026, 1, 1), id_offset=offset
        )
    ]


def add_people(ctx: StationSession, n: int, **kw) -> int:  # noqa: ANN003
    return persons.create_many(ctx, synthetic_people(n, **kw))


def register_station(store: HubStore, station_code: str, commune_code: str) -> None:
    """Register *station_code* serving *commune_code* at the hub (as ``ksk hub station add`` does), unless it
    is registered already; a registered station must serve that commune."""
    known = {s["station_code"]: s for s in store.stations()}
    if station_code in known:
        assert commune_code in known[station_code]["commune_codes"], (station_code, commune_code)
        return
    store.add_station(station_code, [commune_code])


def enroll(
    ctx: StationSession, hub_db_url: str, hub_url: str, *, pin: str | None = None, ca_file: str | None = None
) -> str:
    """Enrol *ctx*'s station at the hub the way ``ksk sync enroll`` does (registering the station first, as the
    hub administrator would); returns the device id."""
    ident = sync_state.station_identity(ctx)
    store = HubStore(hub_db_url)
    try:
        register_station(store, ident["station_code"], ident["commune_code"])
        code = store.new_enroll_code(ident["station_code"])
    finally:
        store.close()
    transport = HubTransport(hub_url, pin_sha256=pin, ca_file=ca_file)
    try:
        answer = transport.enroll(code, ident["station_code"], ident["station_id"], ident["commune_code"])
    finally:
        transport.close()
    sync_state.save_enrolment(
        ctx, hub_url, answer["device_id"], answer["token"], pin_sha256=pin, ca_file=ca_file
    )
    return answer["device_id"]


def outbox_rows(ctx: StationSession) -> list[tuple[str, str, str, int, str]]:
    """(item_id, kind, entity_id, entity_version, state) of every outbox item, in order."""
    with ctx.read() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(
                    OutboxItem.item_id,
                    OutboxItem.kind,
                    OutboxItem.entity_id,
                    OutboxItem.entity_version,
                    OutboxItem.state,
                ).order_by(OutboxItem.seq)
            ).all()
        ]


def hub_rows(hub_db_url: str, station_code: str | None = None, *, with_heads: bool = False) -> list[tuple]:
    """(item_id, kind, entity_id, entity_version) the hub holds (audit heads left out unless asked)."""
    store = HubStore(hub_db_url)
    try:
        rows = store.item_ids(station_code)
    finally:
        store.close()
    return [r for r in rows if with_heads or r[1] != "audit_head"]
