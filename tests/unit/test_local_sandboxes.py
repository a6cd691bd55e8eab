"""The local runtime's sandboxes: at most so many invocations at once, the others let in in the order
they asked, as Lambda would run them all at once in the order they came."""

from __future__ import annotations

import threading

from leadflow_cli.local.lambdas import Sandboxes
from leadflow_cli.local.polling import wait_for


def test_invocations_past_the_sandboxes_wait_and_get_one_in_the_order_they_asked() -> None:
    sandboxes = Sandboxes(1)
    order: list[int] = []
    inside: list[int] = []
    most = [0]
    lock = threading.Lock()

    def invocation(number: int) -> None:
        with sandboxes.held():
            with lock:
                order.append(number)
                inside.append(number)
                most[0] = max(most[0], len(inside))
            with lock:
                inside.remove(number)

    held = sandboxes.held()
    held.__enter__()
    threads = []
    for number in range(6):
        thread = threading.Thread(target=invocation, args=(number,))
        thread.start()
        threads.append(thread)
        wait_for(lambda n=number: sandboxes.waiting == n + 1, timeout_s=10, what="the invocation to wait")
    assert order == []
    held.__exit__(None, None, None)
    for thread in threads:
        thread.join(timeout=10)
    assert order == [0, 1, 2, 3, 4, 5]
    assert most[0] == 1
    assert sandboxes.waiting == 0


def test_a_sandbox_freed_goes_to_the_invocation_waiting_longest_not_to_a_newcomer() -> None:
    sandboxes = Sandboxes(1)
    order: list[str] = []
    release_first = threading.Event()

    def invocation(name: str, until: threading.Event | None = None) -> None:
        with sandboxes.held():
            order.append(name)
            if until is not None:
                until.wait(timeout=10)

    held = sandboxes.held()
    held.__enter__()
    waiting = threading.Thread(target=invocation, args=("waiting", release_first))
    waiting.start()
    wait_for(lambda: sandboxes.waiting == 1, timeout_s=10, what="the first invocation to wait")
    held.__exit__(None, None, None)  # handed to the waiting invocation, not left for whoever asks next
    newcomer = threading.Thread(target=invocation, args=("newcomer",))
    newcomer.start()
    wait_for(
        lambda: order == ["waiting"] and sandboxes.waiting == 1, timeout_s=10, what="the newcomer to wait"
    )
    release_first.set()
    for thread in (waiting, newcomer):
        thread.join(timeout=10)
    assert order == ["waiting", "newcomer"]
