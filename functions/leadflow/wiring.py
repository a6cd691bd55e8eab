"""Builds each adapter and use case once per Lambda container, from the settings."""

from __future__ import annotations

from functools import cache

import boto3

from leadflow.adapters.hubspot import HubSpotGateway
from leadflow.adapters.journeys import JourneyEngine
from leadflow.adapters.queue import EventQueue
from leadflow.adapters.state_store import StateStore
from leadflow.app.intake import LeadIntake
from leadflow.app.journey import JourneySteps
from leadflow.core.config import LeadflowConfig, load_config
from leadflow.settings import settings


@cache
def config() -> LeadflowConfig:
    """The team's configuration file, validated."""
    return load_config(settings().config_file)


@cache
def hubspot() -> HubSpotGateway:
    """The HubSpot adapter (one client, one connection pool per API)."""
    s = settings()
    return HubSpotGateway(s.require("hubspot_access_token"), s.hubspot_base_url)


@cache
def store() -> StateStore:
    """The DynamoDB state table."""
    return StateStore(boto3.client("dynamodb"), settings().require("table_name"))


@cache
def queue() -> EventQueue:
    """The lead-events queue."""
    return EventQueue(boto3.client("sqs"), settings().require("queue_url"))


@cache
def engine() -> JourneyEngine:
    """The journey state machine."""
    return JourneyEngine(boto3.client("stepfunctions"), settings().require("state_machine_arn"))


@cache
def intake() -> LeadIntake:
    """The lead-events use case."""
    return LeadIntake(config(), hubspot(), engine(), store())


@cache
def steps() -> JourneySteps:
    """The journey steps use case."""
    return JourneySteps(config(), hubspot(), store(), engine(), time_scale=settings().time_scale)


def reset() -> None:
    """Forget every built object, so the next call reads the environment again."""
    for built in (settings, config, hubspot, store, queue, engine, intake, steps):
        built.cache_clear()
