"""Argon2id parameters for wrapping the database key.

The default profile takes about 0.3–0.4 s on a 2-core laptop (see bench/bench_login.py). A fast profile
exists only for the test suite, selected by ``KSK_INSECURE_FAST_KDF=1``; each slot stores its own
parameters, so a slot made with either profile opens with the parameters it was made with.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

from argon2.low_level import Type, hash_secret_raw


@dataclass(frozen=True)
class KdfParams:
    time_cost: int = 3
    memory_kib: int = 192 * 1024
    parallelism: int = 2

    def derive(self, secret: bytes, salt: bytes) -> bytes:
        """Derive a 32-byte key-encryption key from *secret* with Argon2id."""
        return hash_secret_raw(secret, salt, self.time_cost, self.memory_kib, self.parallelism, 32, Type.ID)

    def to_json(self) -> dict:
        return {"alg": "argon2id", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict) -> KdfParams:
        if data.get("alg") != "argon2id":
            raise ValueError("unsupported KDF")
        return cls(int(data["time_cost"]), int(data["memory_kib"]), int(data["parallelism"]))


FAST_TEST_PARAMS = KdfParams(time_cost=1, memory_kib=8 * 1024, parallelism=1)


def default_params() -> KdfParams:
    if os.environ.get("KSK_INSECURE_FAST_KDF") == "1":
        return FAST_TEST_PARAMS
    return KdfParams()
