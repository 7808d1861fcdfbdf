import threading
import uuid

from ksk_desktop.ids import new_id, new_ids


def test_ids_are_uuid7_strings_in_ascending_order():
    ids = new_ids(20_000) + [new_id() for _ in range(500)] + new_ids(3)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    for value in ids[:50] + ids[-50:]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 7
        assert parsed.variant == uuid.RFC_4122


def test_ids_from_many_threads_never_collide():
    out: list[list[str]] = []

    def work():
        out.append(new_ids(2000) + [new_id() for _ in range(200)])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [i for chunk in out for i in chunk]
    assert len(set(every)) == len(every) == 4 * 2200
    for chunk in out:
        assert chunk == sorted(chunk)
