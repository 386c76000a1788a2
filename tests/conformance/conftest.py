"""Shared tables for the conformance suite.

Creating a table is slow on AWS (seconds) and cheap everywhere else, so the common key shapes are
created once per target and session, and tests isolate themselves with random keys (``unique()``).
Tests about table lifecycle make their own tables through ``table_factory``, which deletes them at
teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from support.tables import create_table, delete_quietly, table_name


@dataclass(frozen=True)
class Tables:
    """Names of the shared tables, one per key shape (all PAY_PER_REQUEST)."""

    hash_s: str        # pk: S
    hash_n: str        # pk: N
    hash_b: str        # pk: B
    range_s: str       # pk: S, sk: S
    range_n: str       # pk: S, sk: N
    range_b: str       # pk: S, sk: B


SHAPES = {
    "hash_s": ("S", None), "hash_n": ("N", None), "hash_b": ("B", None),
    "range_s": ("S", "S"), "range_n": ("S", "N"), "range_b": ("S", "B"),
}


@pytest.fixture(scope="session")
def tables(dynamodb: Any) -> Iterator[Tables]:
    names = {label: table_name(label.replace("_", "-")) for label in SHAPES}
    try:
        for label, (hash_type, range_type) in SHAPES.items():
            create_table(dynamodb, names[label], hash_type, range_type)
        yield Tables(**names)
    finally:
        for name in names.values():
            delete_quietly(dynamodb, name)


@pytest.fixture
def table_factory(dynamodb: Any) -> Iterator[Callable[..., str]]:
    """Create tables for one test (``table_factory(hash_type="N", range_type="S", **request)``)."""
    made: list[str] = []

    def make(hash_type: str = "S", range_type: str | None = None, *, name: str | None = None,
             **extra: Any) -> str:
        name = name or table_name()
        made.append(name)
        create_table(dynamodb, name, hash_type, range_type, **extra)
        return name

    yield make
    for name in made:
        delete_quietly(dynamodb, name)
