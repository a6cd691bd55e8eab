"""The fast tier: the use cases on in-memory ports, with every socket refused.

Each test builds a World: the shipped configuration (optionally changed), the fakes, a clock
standing still, and the journey steps and lead intake wired to them as the Lambda wiring does.
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import pytest
import yaml

from leadflow.app.intake import LeadIntake
from leadflow.app.journey import JourneySteps
from leadflow.core.config import LeadflowConfig, parse_config
from leadflow.core.journey_record import JourneyRecord, execution_name
from leadflow.core.journey_state import JourneyState
from leadflow.settings import DEFAULT_CONFIG_FILE
from tests.conftest import MQL_PROPS, TEAM
from tests.fast.fakes import FakeEngine, FakeHubSpot, FakeNotifier, FakeQueue, FakeStore, ManualClock


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing in this tier may reach a network: a connection attempt fails the test."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the fast tier opens no sockets")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


@cache
def _shipped() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"))
    return data


def configuration(change: Callable[[dict[str, Any]], Any] | None = None) -> LeadflowConfig:
    """The shipped configuration, with one change applied to its data."""
    data = copy.deepcopy(_shipped())
    if change is not None:
        change(data)
    return parse_config(data)


@dataclass
class World:
    """The use cases on fakes."""

    config: LeadflowConfig
    hubspot: FakeHubSpot
    store: FakeStore
    engine: FakeEngine
    notifier: FakeNotifier
    queue: FakeQueue
    clock: ManualClock
    owners: dict[str, str]
    steps: JourneySteps
    intake: LeadIntake

    def contact(self, **props: str) -> str:
        """A contact in HubSpot with these properties; its id."""
        return self.hubspot.crm.create_object("contacts", dict(props))

    def lead(self, *, fast_track: bool = False, **props: str) -> JourneyState:
        """An MQL contact (the shipped MQL properties, plus `props`) and its journey's first state."""
        contact = self.contact(**{**MQL_PROPS, "lifecyclestage": "marketingqualifiedlead", **props})
        return mql_state(contact, self.clock(), fast_track=fast_track)

    def record(self, state: JourneyState) -> JourneyRecord:
        """The journey's record."""
        found = self.store.journey(state.key)
        assert found is not None, f"journey {state.journey_id} has no record"
        return found

    def waiting(self, state: JourneyState, kind: str = "decision") -> str:
        """The journey waits for `kind` as the engine would: a token registered and blocked on; the token."""
        token = f"token-{len(self.engine.waiting) + len(self.engine.resumed)}-{kind}"
        self.engine.waiting.add(token)
        self.steps.await_input(state, token, kind)  # type: ignore[arg-type]
        return token

    def handed_off(self, **props: str) -> JourneyState:
        """A lead routed and handed off: it waits for its owner's decision."""
        return self.steps.handoff(self.steps.route(self.lead(**props)))


def mql_state(
    contact: str, at: datetime, reason: str = "submitted the Talk to sales form", fast_track: bool = False
) -> JourneyState:
    """The first state of an MQL contact's journey, scored 80, that became an MQL at `at`."""
    return JourneyState(
        journey_id=execution_name(contact, at),
        contact_id=contact,
        mql_at=at,
        score=80,
        mql_reason=reason,
        fast_track=fast_track,
    )


def make_world(change: Callable[[dict[str, Any]], Any] | None = None, start: datetime | None = None) -> World:
    """A world on the shipped configuration (with `change`), its team seeded as HubSpot owners."""
    config = configuration(change)
    hubspot, store, engine, notifier, queue = (
        FakeHubSpot(),
        FakeStore(),
        FakeEngine(),
        FakeNotifier(),
        FakeQueue(),
    )
    clock = ManualClock(start) if start else ManualClock()
    owners = {email: hubspot.crm.add_owner(email, email.split("@")[0].title(), "Rep") for email in TEAM}
    steps = JourneySteps(
        config, hubspot, store, store, lambda: engine, lambda: notifier, lambda: queue, clock
    )
    intake = LeadIntake(config, hubspot, engine, store, store, store, clock)
    return World(config, hubspot, store, engine, notifier, queue, clock, owners, steps, intake)


@pytest.fixture
def world() -> World:
    """A world on the shipped configuration."""
    return make_world()
