"""A Jepsen-style set checker (jepsen ``checker/set``, with ``duplicated`` as queue suites report it).

``attempted``: every item id the station queued; ``present``: every item id the hub holds, with repeats
if it holds one more than once. The hub must hold each attempted id exactly once and nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class SetCheck:
    attempted: int
    present: int
    lost: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not (self.lost or self.unexpected or self.duplicated)

    def __str__(self) -> str:
        return (
            f"attempted={self.attempted} present={self.present} lost={len(self.lost)} "
            f"unexpected={len(self.unexpected)} duplicated={len(self.duplicated)}"
        )


def check_set(attempted: Iterable[str], present: Iterable[str]) -> SetCheck:
    want = set(attempted)
    counts = Counter(present)
    return SetCheck(
        attempted=len(want),
        present=sum(counts.values()),
        lost=sorted(want - counts.keys()),
        unexpected=sorted(counts.keys() - want),
        duplicated=sorted(k for k, n in counts.items() if n > 1),
    )
