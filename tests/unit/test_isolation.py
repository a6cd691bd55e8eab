"""Splitting a failing batch: the poison stands alone in few runs, a platform failure sets nothing aside,
HubSpot's outages end the splitting, and a batch short of time stops splitting."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from leadflow.app.intake import IntakeResult
from leadflow.app.intake.isolation import MAX_RUNS, isolate
from leadflow.app.ports import HubSpotUnavailable

IDS = [f"m{i}" for i in range(100)]
PLENTY: Callable[[], int] = lambda: 30_000  # noqa: E731


def runner(
    fails: Callable[[frozenset[str]], bool],
) -> tuple[Callable[[frozenset[str]], IntakeResult], list[int]]:
    """A run that raises when `fails` says so, else reports every message done; and the sizes it ran."""
    sizes: list[int] = []

    def run(ids: frozenset[str]) -> IntakeResult:
        sizes.append(len(ids))
        if fails(ids):
            raise ValueError("year 3170843 is out of range")
        return IntakeResult(rescored=len(ids))

    return run, sizes


def test_one_poison_in_a_hundred_stands_alone_and_the_rest_is_done_in_few_runs() -> None:
    run, sizes = runner(lambda ids: "m37" in ids)
    done = isolate(IDS, run, PLENTY)
    assert done.poison == {"m37": "ValueError: year 3170843 is out of range"}
    assert (done.result.rescored, done.result.failed_message_ids) == (99, [])
    assert len(sizes) <= 17  # the batch, two halves per level down to one message, and one retry


def test_a_message_that_fails_once_and_then_succeeds_is_not_poison() -> None:
    failed_before: set[str] = set()

    def flaky(ids: frozenset[str]) -> bool:
        if ids == {"m3"} and "m3" not in failed_before:
            failed_before.add("m3")
            return True
        return "m3" in ids and len(ids) > 1

    run, _ = runner(flaky)
    done = isolate(IDS[:8], run, PLENTY)
    assert (done.poison, done.result.failed_message_ids, done.result.rescored) == ({}, [], 8)


def test_when_nothing_succeeds_nothing_is_set_aside_and_everything_comes_back() -> None:
    run, sizes = runner(lambda ids: True)
    done = isolate(IDS[:4], run, PLENTY)
    assert done.poison == {}
    assert sorted(done.result.failed_message_ids) == IDS[:4]
    assert len(sizes) <= MAX_RUNS


def test_hubspot_being_down_fails_the_whole_batch_without_splitting() -> None:
    calls: list[int] = []

    def run(ids: frozenset[str]) -> IntakeResult:
        calls.append(len(ids))
        raise HubSpotUnavailable("HubSpot answered 503", 503)

    with pytest.raises(HubSpotUnavailable):
        isolate(IDS, run, PLENTY)
    assert calls == [100]


def test_a_batch_short_of_time_stops_splitting_and_lets_the_rest_come_back() -> None:
    run, sizes = runner(lambda ids: "m1" in ids)
    done = isolate(IDS[:10], run, lambda: 1_000)
    assert sizes == [10]
    assert (done.poison, sorted(done.result.failed_message_ids)) == ({}, sorted(IDS[:10]))
