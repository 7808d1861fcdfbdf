"""``ksk db check``: integrity of pages and cipher HMACs, schema version, safety settings, audit chain."""

from __future__ import annotations

from ksk_desktop.db import migrate
from ksk_desktop.db.database import storage_error_from
from ksk_desktop.db.engine import driver, verify_connection_settings
from ksk_desktop.errors import KskError
from ksk_desktop.security.roles import Perm
from ksk_desktop.station import audit
from ksk_desktop.station.session import StationSession


def check_database(ctx: StationSession) -> dict:
    """Run every check, never stopping at the first failure; return a JSON-ready report. Needs the audit
    permission (the audit chain's check is recorded)."""
    ctx.require(Perm.AUDIT_READ)
    checks: list[dict] = []

    def add(name: str, ok: bool, detail: str) -> None:
        checks.append({"name": name, "ok": ok, "detail": detail})

    raw = ctx.db.engine.raw_connection()
    try:
        conn = driver(raw)
        try:
            verify_connection_settings(conn)
            add("settings", True, "WAL, synchronous=FULL, temp_store=MEMORY, khóa ngoại, HMAC")
        except KskError as exc:
            add("settings", False, exc.message)
        try:
            rows = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
            add("integrity", rows == ["ok"], "ok" if rows == ["ok"] else "; ".join(rows[:5]))
        except Exception as exc:  # a damaged page raises instead of reporting
            mapped = storage_error_from(exc)
            add("integrity", False, mapped.message if mapped else str(exc))
        try:
            bad = [r[0] for r in conn.execute("PRAGMA cipher_integrity_check")]
            add(
                "cipher_integrity",
                not bad,
                "mọi trang đều đúng HMAC" if not bad else "Trang bị thay đổi trên đĩa: " + "; ".join(bad[:5]),
            )
        except Exception as exc:
            add("cipher_integrity", False, str(exc))
    finally:
        raw.close()

    head = migrate.head_revision()
    try:
        with ctx.db.engine.connect() as c:
            current = migrate.current_revision(c)
        add("schema", current == head, f"phiên bản {current} (phần mềm: {head})")
    except Exception as exc:
        current = None
        add("schema", False, str(exc))

    try:
        report = audit.verify_and_record(ctx)
        add(
            "audit_chain",
            report.ok,
            f"{report.events} sự kiện, toàn vẹn"
            if report.ok
            else f"sự kiện đầu tiên sai #{report.first_bad_seq}: {report.problem}",
        )
        audit_json = report.to_json()
        if report.hub_alert:
            add("hub_audit_alert", False, f"cảnh báo của máy chủ: {report.hub_alert}")
    except KskError as exc:
        add("audit_chain", False, exc.message)
        audit_json = None

    return {
        "ok": all(c["ok"] for c in checks),
        "schema": {"current": current, "head": head},
        "audit": audit_json,
        "checks": checks,
    }
