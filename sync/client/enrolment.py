"""Enrolling a station's device at the hub with a one-time code: the CLI's ``ksk sync enroll`` and the GUI's
"Đăng ký với máy chủ…" dialog both come here."""

from __future__ import annotations

from ksk_desktop.outbox import sync_state
from ksk_desktop.station.session import StationSession
from sync.client.transport import HubTransport, check_hub_url, normalise_fingerprint


def enroll_station(
    ctx: StationSession, hub: str, code: str, *, pin: str | None = None, ca_file: str | None = None
) -> dict:
    """Check the address and pin, ask the hub for a device credential, keep it in the station database.

    Returns ``{"hub_url", "device_id", "station_code", "pinned"}``. Network: call it off the GUI thread.
    """
    sync_state.check_manage(ctx)
    url = check_hub_url(hub)
    fingerprint = normalise_fingerprint(pin) if pin else None
    ident = sync_state.station_identity(ctx)
    transport = HubTransport(url, pin_sha256=fingerprint, ca_file=ca_file)
    try:
        answer = transport.enroll(
            code.strip(), ident["station_code"], ident["station_id"], ident["commune_code"]
        )
    finally:
        transport.close()
    sync_state.save_enrolment(
        ctx, url, answer["device_id"], answer["token"], pin_sha256=fingerprint, ca_file=ca_file
    )
    return {
        "hub_url": url,
        "device_id": answer["device_id"],
        "station_code": ident["station_code"],
        "pinned": fingerprint is not None,
    }
