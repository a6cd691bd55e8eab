"""Splitting work into the batch sizes the APIs accept."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Split a sequence into consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def packed(texts: Sequence[str], max_bytes: int, max_items: int) -> Iterator[list[str]]:
    """Group texts, in order, into groups of at most `max_items` whose UTF-8 size stays under `max_bytes`.

    A text larger than `max_bytes` forms a group of its own (the caller decides what to do).
    """
    group: list[str] = []
    size = 0
    for text in texts:
        length = len(text.encode())
        if group and (size + length > max_bytes or len(group) == max_items):
            yield group
            group, size = [], 0
        group.append(text)
        size += length
    if group:
        yield group
