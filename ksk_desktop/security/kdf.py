"""Argon2id parameters for wrapping the database key.

The default profile takes about 0.3–0.4 s on a 2-core laptop (see bench/bench_login.py). Each slot stores
its own parameters, so a slot opens with the parameters it was made with whatever the default is now (the
test suite makes its slots with a fast profile of its own: tests/testkit/childsite).
"""

from __future__ import annotations

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


def default_params() -> KdfParams:
    """The parameters new key slots are made with."""
    return KdfParams()
