"""One message's failure stays its own.

A batch is done as one unit (one HubSpot batch read and one batch update for all its contacts), so
a message whose work raises outside the per-contact handling (a bug its data sets off, an item
DynamoDB refuses) would fail every message of the batch, over and over, until all of them sat in
the dead-letter queue. Instead, a batch that raises is split in halves, and each half is done on
its own, until what raises stands alone: the rest of the batch is done, in a few more HubSpot calls.

A message that fails alone, twice, while other messages of the same batch succeed, can never
succeed: it is poison, set aside with the reason. When nothing in the batch succeeds, the fault is
more likely the platform's than a message's, so nothing is set aside and everything comes back.
HubSpot's own refusals to go on (rate limits, an outage, a spent daily quota) are not a message's
fault either: they end the splitting and fail the whole batch, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from leadflow.app.intake.result import IntakeResult
from leadflow.app.ports import HubSpotRateLimited, HubSpotUnavailable
from leadflow.core.text import clip
from leadflow.observability import logger

# Splitting one poison out of a batch of 100 takes about 16 runs; past this many the batch's time
# is better spent elsewhere, and what is not sorted out yet simply comes back.
MAX_RUNS: Final = 32
# A run is not started with less time left than this (a run reads and writes HubSpot and DynamoDB).
MIN_TIME_LEFT_MS: Final = 8_000
_TRANSIENT: Final = (HubSpotRateLimited, HubSpotUnavailable)


@dataclass
class Isolated:
    """What the batch did, and the messages that can never succeed, with why."""

    result: IntakeResult = field(default_factory=IntakeResult)
    poison: dict[str, str] = field(default_factory=dict)


def reason(exc: BaseException) -> str:
    """Why a message failed, short enough to travel as a message attribute (no traceback)."""
    return clip(f"{type(exc).__name__}: {exc}", 500)


def isolate(
    message_ids: Sequence[str],
    run: Callable[[frozenset[str]], IntakeResult],
    time_left_ms: Callable[[], int],
) -> Isolated:
    """Run the messages' work together, splitting what raises until the messages that raise stand alone.

    `run` does the work of the messages it is given and raises when something outside the
    per-contact handling fails. HubSpot's rate limits and outages are raised to the caller.
    """
    done = Isolated()
    failures: dict[str, tuple[int, str]] = {}  # message alone -> (failed runs, why)
    pending: list[tuple[str, ...]] = [tuple(dict.fromkeys(message_ids))] if message_ids else []
    runs, succeeded = 0, False
    while pending:
        group = pending.pop()
        if runs and (runs >= MAX_RUNS or time_left_ms() < MIN_TIME_LEFT_MS):
            done.result.failed_message_ids.extend(group)
            continue
        runs += 1
        try:
            done.result.add(run(frozenset(group)))
        except _TRANSIENT:
            raise
        except Exception as exc:
            if len(group) > 1:
                logger.warning(
                    "batch failed; splitting it to find the message", messages=len(group), error=reason(exc)
                )
                half = len(group) // 2
                pending += [group[half:], group[:half]]  # the first half runs first
                continue
            (message_id,) = group
            logger.exception("message failed on its own", message_id=message_id)
            tries = failures.get(message_id, (0, ""))[0] + 1
            failures[message_id] = (tries, reason(exc))
            if tries < 2:
                pending.append(group)
        else:
            succeeded = True
            for message_id in group:
                failures.pop(message_id, None)
    for message_id, (tries, why) in failures.items():
        if succeeded and tries >= 2:
            done.poison[message_id] = why
        elif message_id not in done.result.failed_message_ids:
            done.result.failed_message_ids.append(message_id)
    return done
