"""Builds each adapter and use case once per Lambda container, from the settings.

Imports happen inside the builders: each function imports only what it uses, which is
most of its cold start (the webhook never loads the HubSpot client, for instance).
"""

from __future__ import annotations

import time
from collections.abc import Collection
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from leadflow.core.clock import Clock, utcnow
from leadflow.settings import NEEDS, SettingsError, settings

if TYPE_CHECKING:
    from leadflow.adapters.hubspot import HubSpotGateway
    from leadflow.adapters.notify import Notifier
    from leadflow.adapters.queue import SqsEventQueue
    from leadflow.adapters.state_store import StateStore
    from leadflow.adapters.step_functions import StepFunctionsEngine
    from leadflow.app.intake import LeadIntake
    from leadflow.app.journey import JourneySteps
    from leadflow.app.lead_events import LeadEvents
    from leadflow.app.ports import DeadLetters
    from leadflow.app.signals_intake import SignalsIntake
    from leadflow.app.webhook_intake import WebhookIntake
    from leadflow.app.workflow_actions import WorkflowActions
    from leadflow.core.config import LeadflowConfig

_clock: Clock = utcnow


def use_clock(clock: Clock | None) -> None:
    """Make the use cases read time from `clock` (the local runtime's); None restores the system clock."""
    global _clock
    _clock = clock or utcnow
    reset()


def clock() -> Clock:
    """The clock the use cases read business time from."""
    return _clock


_invocation: ContextVar[Any] = ContextVar("leadflow_lambda_context", default=None)


def invoked(context: Any) -> None:
    """Note the Lambda context of the invocation running on this thread: its HubSpot calls spend no
    more than the time it has left."""
    _invocation.set(context)


def time_left() -> float | None:
    """Seconds until the running invocation's timeout (None outside an invocation)."""
    context = _invocation.get()
    return None if context is None else context.get_remaining_time_in_millis() / 1000


def wall_ms() -> int:
    """Wall-clock epoch milliseconds: signature windows are about real time, whatever the clock says."""
    return int(time.time() * 1000)


@cache
def ready(function: str) -> None:
    """Check, once per container (its cold start), that the settings a function needs are there.

    Raises SettingsError naming every missing variable, before the function touches anything.
    """
    names, secrets = NEEDS[function]
    missing = settings().missing(names, secrets)
    if missing:
        raise SettingsError(f"the {function} function cannot start: {', '.join(missing)} not set")


@cache
def _aws() -> Any:
    # botocore directly: boto3 adds nothing used here and ~70 ms of imports (s3transfer).
    import botocore.session

    return botocore.session.get_session()


def aws_client(service: str) -> Any:
    """A botocore client for an AWS service, in the Lambda's region."""
    return _aws().create_client(service)


SECRET_TTL_S = 300


def secret(name: str, *, required: bool = True) -> str:
    """A secret setting: its environment variable when set (local runs), else the stack's secret.

    The deployed stack keeps the HubSpot token, the client secret, the signals secret and
    the notification webhook URL in one Secrets Manager secret (JSON, keys named like the
    settings), never in plain environment variables; powertools caches it for SECRET_TTL_S
    so a rotation is picked up within minutes. An optional secret that is set nowhere is "".
    """
    s = settings()
    value = getattr(s, name).get_secret_value()
    if value or not s.secret_arn:
        return s.require(name) if required else value
    from aws_lambda_powertools.utilities import parameters

    stored = parameters.get_secret(s.secret_arn, transform="json", max_age=SECRET_TTL_S)
    found = stored.get(name) if isinstance(stored, dict) else None
    if not found:
        if not required:
            return ""
        raise SettingsError(f"the stack's secret has no value for {name!r}")
    return str(found)


@cache
def config() -> LeadflowConfig:
    """The team's configuration file, validated."""
    from leadflow.core.config import load_config

    return load_config(settings().config_file)


@cache
def hubspot() -> HubSpotGateway:
    """The HubSpot adapter (one client, one connection pool per API), its calls paced under the portal's
    rate limits in one budget that every function shares (the state table's)."""
    from leadflow.adapters.hubspot import HubSpotGateway
    from leadflow.adapters.hubspot_pacer import HubSpotPacer

    portal = config().portal
    pacer = HubSpotPacer(store(), portal.calls_per_ten_seconds, portal.searches_per_second)
    return HubSpotGateway(secret("hubspot_access_token"), settings().hubspot_base_url, time_left, pacer)


@cache
def store() -> StateStore:
    """The DynamoDB state table (journeys, routing ledger, signals, delivery dedupe)."""
    from leadflow.adapters.state_store import StateStore

    return StateStore(aws_client("dynamodb"), settings().require("table_name"))


@cache
def queue() -> SqsEventQueue:
    """The lead-events queue."""
    from leadflow.adapters.queue import SqsEventQueue

    return SqsEventQueue(aws_client("sqs"), settings().require("queue_url"))


@cache
def engine() -> StepFunctionsEngine:
    """The journey state machine."""
    from leadflow.adapters.step_functions import StepFunctionsEngine

    return StepFunctionsEngine(aws_client("stepfunctions"), settings().require("state_machine_arn"))


@cache
def notifier() -> Notifier:
    """Escalation notifications: the HTTP webhook (a secret, optional) and the SNS topic (optional)."""
    from leadflow.adapters.notify import Notifier

    topic = settings().notify_topic_arn
    return Notifier(secret("notify_url", required=False), aws_client("sns") if topic else None, topic)


@cache
def webhook_intake() -> WebhookIntake:
    """The webhook use case."""
    from leadflow.app.webhook_intake import WebhookIntake

    return WebhookIntake(
        config(),
        lambda: secret("hubspot_client_secret"),
        queue(),
        wall_ms,
        lambda: secret("workflow_api_key", required=False),
    )


@cache
def signals_intake() -> SignalsIntake:
    """The signals use case."""
    from leadflow.app.signals_intake import SignalsIntake

    return SignalsIntake(lambda: secret("signals_secret"), queue(), wall_ms, _clock)


@cache
def workflow_actions() -> WorkflowActions:
    """The custom workflow actions' use cases."""
    from leadflow.app.workflow_actions import WorkflowActions

    return WorkflowActions(
        config(),
        lambda: secret("hubspot_client_secret"),
        hubspot(),
        store(),
        store(),
        engine(),
        _clock,
        wall_ms,
    )


@cache
def intake() -> LeadIntake:
    """The lead-events use case."""
    from leadflow.app.intake import LeadIntake

    return LeadIntake(config(), hubspot(), engine(), store(), store(), store(), _clock)


@cache
def dead_letters() -> DeadLetters:
    """The lead-events dead-letter queue, where messages that can never succeed are set aside; without
    one configured they fail until SQS's redrive moves them there."""
    from leadflow.adapters.queue import LeftToRedrive, SqsDeadLetters

    url = settings().dead_letter_queue_url
    return SqsDeadLetters(aws_client("sqs"), url) if url else LeftToRedrive()


@cache
def lead_events() -> LeadEvents:
    """The lead-events use case over one SQS batch."""
    from leadflow.app.lead_events import LeadEvents

    return LeadEvents(intake(), hubspot(), queue(), dead_letters())


@cache
def steps() -> JourneySteps:
    """The journey steps use case."""
    from leadflow.app.journey import JourneySteps

    return JourneySteps(config(), hubspot(), store(), store(), engine, notifier, queue, _clock)


# Every cached builder, by name: what `reset` forgets.
BUILDERS: Final = {
    b.__name__: b
    for b in (
        *(settings, ready, _aws, config, hubspot, store, queue, engine, notifier),
        *(webhook_intake, signals_intake, workflow_actions, intake, dead_letters, lead_events, steps),
    )
}


def reset(keep: Collection[str] = ()) -> bool:
    """Forget every built object but those named in `keep`, so the next call reads the environment
    (and the clock) again; whether any forgotten one had been built."""
    built = False
    for name, builder in BUILDERS.items():
        if name not in keep:
            built = built or builder.cache_info().currsize > 0
            builder.cache_clear()
    return built
