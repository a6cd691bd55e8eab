"""A journey that fails tells the team what failed and what to do, in words: no file paths, no stack
frames, whatever the function's error carried (the whole cause stays on the journey record)."""

from __future__ import annotations

import re
from collections.abc import Callable

from leadflow_cli.local.receiver import NotificationReceiver
from leadflow_cli.local.runtime import LocalRuntime
from tests.journey.helpers import journey_record, start, waiting_for


def test_a_failed_journeys_notice_says_what_failed_without_code_paths(
    runtime_factory: Callable[..., LocalRuntime],
) -> None:
    with NotificationReceiver() as receiver:
        runtime = runtime_factory(
            consume_queues=False, time_scale=None, extra_env={"LEADFLOW_NOTIFY_URL": receiver.url}
        )
        store = runtime.standin.store  # type: ignore[union-attr]
        for owner in store.owners():
            store.archive_owner(owner["id"])
        contact, _ = start(runtime)
        waiting_for(runtime, contact, "repair")

        ((notice,),) = [list(n.values()) for n in receiver.received]
    journey = journey_record(contact).journey_id
    assert notice.startswith(f"Journey {journey} (contact {contact}) failed at Route:")
    assert "RoutingError: " in notice and f"leadflow journey {contact} --resume" in notice
    assert not re.search(r'File "|\.py\b|line \d+|/work/|site-packages|stackTrace|Traceback', notice)
    assert "stackTrace" in journey_record(contact).cause  # the whole cause is kept for whoever repairs it
