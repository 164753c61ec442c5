"""One of something per object, made on first use and forgotten with the object."""

from __future__ import annotations

import gc

from bot.per_object import PerObject


class Key:
    pass


def test_one_per_object_made_once_and_forgotten_with_it() -> None:
    made: list[list[int]] = []

    def make() -> list[int]:
        made.append([])
        return made[-1]

    per = PerObject[Key, list[int]](make)
    first, second = Key(), Key()
    per.of(first).append(1)
    assert per.of(first) == [1]
    assert per.of(second) == []
    assert len(made) == 2
    del first
    gc.collect()
    assert len(per._made) == 1
