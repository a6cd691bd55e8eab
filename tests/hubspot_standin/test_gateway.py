"""leadflow's HubSpot adapter against the stand-in: typed errors, retries, the rate-limit metric."""

from __future__ import annotations

import pytest

from leadflow.adapters.hubspot import HubSpotGateway, HubSpotRateLimited, HubSpotUnavailable
from leadflow.observability import metrics
from leadflow_cli.hubspot_standin import FaultPlan, HubSpotStandIn
from tests.conftest import STANDIN_TOKEN


def test_rate_limits_are_retried_counted_and_finally_typed(standin: HubSpotStandIn) -> None:
    contact = standin.store.create_object("contacts", {"industry": "RETAIL"})
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url)
    metrics.clear_metrics()
    standin.store.faults = FaultPlan(rate_limit_share=1.0, retry_after_s=0)
    with pytest.raises(HubSpotRateLimited, match="ten_secondly_rolling"):
        gateway.read_contacts([contact], ["industry"])
    assert standin.store.call_count("contacts.batch_read") == 5  # the call and four retries
    assert metrics.metric_set["HubSpotRateLimited"]["Value"] == [1.0] * 5  # every 429 answer
    standin.store.faults = FaultPlan()
    assert gateway.read_contacts([contact], ["industry"])[contact]["industry"] == "RETAIL"
    metrics.clear_metrics()


def test_outages_on_reads_are_retried_and_creates_are_not_repeated(standin: HubSpotStandIn) -> None:
    from datetime import UTC, datetime

    contact = standin.store.create_object("contacts", {})
    owner = standin.store.add_owner("ada@example.com", "Ada", "L")
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url)
    standin.store.faults = FaultPlan(server_error_share=1.0)
    with pytest.raises(HubSpotUnavailable):
        gateway.read_contacts([contact], ["email"])
    assert standin.store.call_count("contacts.batch_read") == 5
    standin.store.faults = FaultPlan(drop_share=1.0)
    with pytest.raises(HubSpotUnavailable):
        gateway.create_task(contact, owner, "s", "b", datetime.now(UTC))
    assert (
        standin.store.call_count("tasks.create") == 1
    )  # a create that may have reached HubSpot is not repeated
    assert standin.store.list_objects("tasks") == []
