"""Mutation fuzz of the CCCD QR parser: 100,000 inputs, and no exception but ``InvalidCccdPayload``.

Mutates the synthetic sample payloads (insert, delete, replace, duplicate, cut, mojibake, wrap in control
characters) and mixes in random text; prints the count, the time, the outcome mix, the parse-time
percentiles and the number of unexpected exceptions (must be 0). Exit code 1 when there is one.

Run: .venv/bin/python bench/bench_cccd_fuzz.py [--iterations 100000] [--seed 2026]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import machine, pct  # noqa: E402
from ksk_desktop.cccd import InvalidCccdPayload, parse_cccd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 6, 1)
PIECES = [
    "|",
    "||||",
    "\r\n",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\ufeff",
    "\u200b",
    "\x85",
    "0",
    "9",
    "/",
    "-",
    " ",
    "Nam",
    "Nữ",
    "$",
    "://",
    "DĐ",
    "aă",
    "蘯",
    "ﾃ",
    "Ã",
    "»",
    "\ufffd",
    "\ud800",
    "０",
]


def seeds() -> list[str]:
    lines = (ROOT / "tests" / "data" / "cccd-samples.jsonl").read_text(encoding="utf-8").split("\n")
    return [json.loads(line)["payload"] for line in lines if line.strip()]


def random_text(rng: random.Random) -> str:
    size = rng.choice([0, 1, 5, 20, 80, 300])
    pool = rng.choice([(0x20, 0x7E), (0, 0x2FF), (0, 0xFFFF), (0x1EA0, 0x1EF9), (0x4E00, 0x4FFF)])
    return "".join(chr(rng.randint(*pool)) for _ in range(size))


def mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(0, 6)):
        pos = rng.randint(0, len(text))
        op = rng.randrange(9)
        piece = rng.choice(PIECES) if rng.random() < 0.7 else random_text(rng)[:4]
        if op == 0:
            text = text[:pos] + piece + text[pos:]
        elif op == 1:
            text = text[:pos] + text[pos + rng.randint(1, 5) :]
        elif op == 2:
            text = text[:pos] + piece + text[pos + len(piece) :]
        elif op == 3:
            text = text + rng.choice(["", "\r\n"]) + text[pos:]
        elif op == 4:
            text = text[:pos]
        elif op == 5:
            codec = rng.choice(["latin-1", "cp1252", "cp932", "big5"])
            text = text.encode("utf-8", errors="surrogatepass").decode(codec, errors="replace")
        elif op == 6:
            text = rng.choice(["\ufeff", "\x00", " ", "]Q1"]) + text + rng.choice(["\r\n", "\x00", "\t"])
        elif op == 7:
            text = text.replace("|", rng.choice(["~", "\\", "", "||"]), rng.randint(1, 3))
        else:
            text = text * rng.randint(2, 40)  # long pastes up to ~10 KB
    return text


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    base = seeds()
    outcome: Counter[str] = Counter()
    times: list[float] = []
    unexpected: list[str] = []
    start = time.perf_counter()
    for _ in range(args.iterations):
        raw = random_text(rng) if rng.random() < 0.15 else mutate(rng, rng.choice(base))
        t = time.perf_counter()
        try:
            parse_cccd(raw, today=TODAY)
            outcome["ok"] += 1
        except InvalidCccdPayload as exc:
            outcome[exc.code] += 1
        except Exception:  # the finding this bench exists for; the input itself is never printed
            unexpected.append(traceback.format_exc(limit=3))
        times.append(time.perf_counter() - t)
    elapsed = time.perf_counter() - start
    print(f"machine: {machine()}")
    print(
        f"inputs: {args.iterations:,} (seed {args.seed}) in {elapsed:.1f} s "
        f"({args.iterations / elapsed:,.0f}/s)"
    )
    print(
        f"parse time per input: p50 {pct(times, 50) * 1e6:.0f} µs, p95 {pct(times, 95) * 1e6:.0f} µs, "
        f"max {max(times) * 1e3:.1f} ms"
    )
    print("outcomes: " + ", ".join(f"{k} {v:,}" for k, v in outcome.most_common()))
    print(f"unexpected exceptions (must be 0): {len(unexpected)}")
    for tb in unexpected[:3]:
        print(tb)
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
