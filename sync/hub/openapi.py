"""The hub API's OpenAPI document. ``python -m sync.hub.openapi`` rewrites ``sync/openapi.json`` from the app;
a test fails when the committed file and the app disagree."""

from __future__ import annotations

import json
import sys
from pathlib import Path

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.json"


def spec() -> dict:
    from sync.hub.app import create_app
    from sync.hub.store import HubStore

    store = HubStore("sqlite://")  # in memory: generating the document touches no data
    try:
        return create_app(store).openapi()
    finally:
        store.close()


def render() -> str:
    return json.dumps(spec(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--check"]:
        return 0 if SPEC_PATH.exists() and SPEC_PATH.read_text(encoding="utf-8") == render() else 1
    SPEC_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {SPEC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
