"""The hub's city report over all 114 communes of Hải Phòng (target ≤ 5 s on PostgreSQL): every unit of the
catalogue is registered as a station; one device each registers its head's signing key (approved) and pushes a
monthly report signed with it through ``HubStore.push`` (checked and stored as any submission), with figures that
add up to the city's 4.2 million people; then the city report (each signature verified again) is made repeatedly
(p50/p95) and the ``/reports`` page rendered.

Run: .venv/bin/python bench/bench_hub_reports.py [--db postgresql+psycopg://…] [--runs 20]
(default: KSK_TEST_PG_URL in a schema of its own, else a SQLite file)
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import time
import uuid
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from testkit.signing_keys import StationKey, register_key  # noqa: E402

from bench.common import BENCH_DIR, machine, pct  # noqa: E402
from ksk_desktop.catalogs.communes import load_communes  # noqa: E402
from ksk_desktop.reports import submissions  # noqa: E402
from sync.hub import city_report, report_web  # noqa: E402
from sync.hub.store import HubStore  # noqa: E402

POPULATION = 4_212_201
SHARES = {"a": 0.27, "b": 0.25, "c": 0.24, "d": 0.01, "đ": 0.23}


def figures(code: str, commune: str, people: int, rng: random.Random) -> dict:
    groups = []
    for g, share in SHARES.items():
        managed = int(people * share)
        ytd = int(managed * rng.uniform(0.2, 0.9))
        groups.append(
            {
                "group": g,
                "managed": managed,
                "examined_month": int(ytd * rng.uniform(0.05, 0.15)),
                "examined_ytd": ytd,
                "rate": round(100 * ytd / managed, 1) if managed else 0.0,
                "next_year_need": managed,
            }
        )
    total = {
        k: sum(g[k] for g in groups) for k in ("managed", "examined_month", "examined_ytd", "next_year_need")
    }
    total["rate"] = round(100 * total["examined_ytd"] / total["managed"], 1)
    return {
        "month": "2026-11",
        "station_code": code,
        "commune_code": commune,
        "groups": groups,
        "total": total,
    }


def db_url(arg: str | None) -> str:
    if arg:
        return arg
    pg = os.environ.get("KSK_TEST_PG_URL")
    if not pg:
        return f"sqlite:///{BENCH_DIR / 'hub-reports.db'}"
    from sqlalchemy import create_engine, text

    schema = "ksk_bench_" + secrets.token_hex(4)
    engine = create_engine(pg)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    sep = "&" if "?" in pg else "?"
    return f"{pg}{sep}options=-csearch_path%3D{schema}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    url = db_url(args.db)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    store = HubStore(url)
    rng = random.Random(114)
    communes = load_communes()
    per = POPULATION // len(communes)
    t = time.perf_counter()
    for i, c in enumerate(communes):
        code = f"TYT-{i:03d}"
        store.add_station(code, [c.code])
        _device_id, token = store.enroll(store.new_enroll_code(code), code, str(uuid.uuid4()), c.code)
        device = store.authenticate(token)
        f = figures(code, c.code, per + rng.randint(-per // 2, per // 2), rng)
        rid = str(uuid.uuid4())
        payload = {
            "format": 1, "id": rid, "kind": "monthly", "period": "2026-11", "version": 1,
            "station_code": code, "commune_code": c.code, "figures": f, "digest": submissions.digest(f),
            "reason": None, "supersedes": None, "signed_by": "truongtram", "signer_name": "Trưởng trạm",
            "signed_at": "2026-12-03T09:00:00+07:00",
        }  # fmt: skip
        head = StationKey(code)  # each station's head signs its report with an approved key
        register_key(store, device, head.registration)
        item = {"item_id": str(uuid.uuid4()), "kind": "report", "entity_id": rid, "entity_version": 1}
        (res,) = store.push(device, [{**item, "payload": head.sign(payload)}])
        assert res["status"] == "accepted", res
    print(machine())
    print(
        f"hub: {store.engine.dialect.name}; {len(communes)} stations registered and reported in {time.perf_counter() - t:.1f} s"
    )
    now = datetime(2026, 12, 20, 2, 0)  # noqa: DTZ001 - the hub's naive UTC, after the deadline
    times, render_times = [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        with store.session() as s:
            report = city_report.monthly(s, "2026-11", now)
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        report_web.render(report, "bench")
        render_times.append(time.perf_counter() - t)
    print(
        f"city report 2026-11: p50 {pct(times, 50) * 1000:.0f} ms, p95 {pct(times, 95) * 1000:.0f} ms (target ≤ 5000 ms); "
        f"{report['stations_submitted']} stations, {report['total']['managed']:,} people managed"
    )
    print(
        f"/reports page render: p50 {pct(render_times, 50) * 1000:.0f} ms, p95 {pct(render_times, 95) * 1000:.0f} ms"
    )
    store.close()


if __name__ == "__main__":
    main()
