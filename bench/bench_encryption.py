"""Encryption overhead: one insert-and-query workload on SQLCipher and on plain SQLite, side by side.

Both run with the app's settings (WAL, synchronous=FULL, temp_store=MEMORY, foreign keys) and the same
schema; only the encryption differs. Target: ratio ≤ 1.3.
Run: .venv/bin/python bench/bench_encryption.py [--people 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine  # noqa: E402
from ksk_desktop.db.engine import _SETUP, raw_connect  # noqa: E402
from ksk_desktop.demo.synthetic import generate_people  # noqa: E402
from ksk_desktop.text import fold, sort_key  # noqa: E402

SCHEMA = """
CREATE TABLE person (id INTEGER PRIMARY KEY, personal_id TEXT UNIQUE, full_name TEXT, name_fold TEXT,
  sort_key TEXT, birth_year INT, hamlet TEXT, phone TEXT, target_group TEXT);
CREATE INDEX ix_fold ON person(name_fold); CREATE INDEX ix_sort ON person(sort_key);
CREATE INDEX ix_year ON person(birth_year); CREATE INDEX ix_hamlet ON person(hamlet); CREATE INDEX ix_phone ON person(phone);
"""


def rows(n: int) -> list[tuple]:
    return [
        (
            p["personal_id"],
            p["full_name"],
            fold(p["full_name"]),
            sort_key(p["full_name"]),
            p["birth_year"],
            p["hamlet"],
            p["phone"],
            p["target_group"],
        )
        for p in generate_people(n, seed=1, commune_code="11680", reference_date=date(2026, 1, 1))
    ]


def workload(conn, data: list[tuple]) -> dict[str, float]:
    conn.executescript(SCHEMA)
    t = time.perf_counter()
    for i in range(0, len(data), 500):  # an import: 500 people per transaction
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO person (personal_id, full_name, name_fold, sort_key, birth_year, hamlet, phone,"
            " target_group) VALUES (?,?,?,?,?,?,?,?)",
            data[i : i + 500],
        )
        conn.execute("COMMIT")
    insert = time.perf_counter() - t
    t = time.perf_counter()
    for j in range(200):  # reception: one person saved per transaction
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE person SET phone = ? WHERE id = ?", (f"09{j:08d}", j * 37 % len(data) + 1))
        conn.execute("COMMIT")
    small = time.perf_counter() - t
    t = time.perf_counter()
    ids = [d[0] for d in data[:: max(1, len(data) // 500)] if d[0]]
    for pid in ids:
        conn.execute("SELECT * FROM person WHERE personal_id = ?", (pid,)).fetchall()
    for d in data[:: max(1, len(data) // 300)]:
        prefix = d[2].split(" ")[-1][:3]
        conn.execute(
            "SELECT id, full_name FROM person WHERE name_fold LIKE ? ORDER BY sort_key LIMIT 50",
            (f"%{prefix}%",),
        ).fetchall()
    conn.execute("SELECT hamlet, target_group, count(*) FROM person GROUP BY 1, 2").fetchall()
    conn.execute("SELECT * FROM person ORDER BY sort_key LIMIT 200 OFFSET 5000").fetchall()
    query = time.perf_counter() - t
    return {"insert": insert, "small_tx": small, "query": query, "total": insert + small + query}


def plain(path: Path):
    conn = sqlite3.connect(path, isolation_level=None)
    for s in _SETUP:
        if "cipher" not in s:
            conn.execute(s)
    return conn


def cipher(path: Path):
    conn = raw_connect(path, os.urandom(32))
    for s in _SETUP:
        conn.execute(s)
    return conn


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    data = rows(args.people)
    results: dict[str, list[dict]] = {"sqlite": [], "sqlcipher": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name, opener in (("sqlite", plain), ("sqlcipher", cipher)):
                path = Path(tmp) / f"{name}-{r}.db"
                conn = opener(path)
                results[name].append(workload(conn, data))
                conn.close()
    print(f"machine: {machine()}")
    print(
        f"workload: {args.people:,} people inserted (500/tx), 200 single-row transactions, ~800 queries; "
        f"best of {args.rounds}"
    )
    best = {k: {m: min(r[m] for r in v) for m in v[0]} for k, v in results.items()}
    for metric in ("insert", "small_tx", "query", "total"):
        a, b = best["sqlite"][metric], best["sqlcipher"][metric]
        print(f"{metric:>9}: sqlite {a:7.3f} s   sqlcipher {b:7.3f} s   ratio {b / a:5.2f}")
    ratio = best["sqlcipher"]["total"] / best["sqlite"]["total"]
    print(f"overall ratio {ratio:.2f}  target ≤ 1.3: {'OK' if ratio <= 1.3 else 'OVER'}")


if __name__ == "__main__":
    main()
