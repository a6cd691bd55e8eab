"""leadflow's HubSpot adapter against the stand-in: typed errors, retries, the rate-limit metric."""

from __future__ import annotations

import time

import pytest

from leadflow.adapters.hubspot import HubSpotGateway, HubSpotRateLimited, HubSpotUnavailable
from leadflow.adapters.hubspot_errors import RATE_LIMIT_WAITS
from leadflow.app.ports import HubSpotError, HubSpotQuotaExhausted
from leadflow.observability import metrics
from leadflow_cli.hubspot_standin import FaultPlan, HubSpotStandIn
from leadflow_cli.hubspot_standin.rate_limits import RateLimiter, RateLimitPlan
from tests.conftest import STANDIN_TOKEN


def test_rate_limits_are_retried_counted_and_finally_typed(standin: HubSpotStandIn) -> None:
    contact = standin.store.create_object("contacts", {"industry": "RETAIL"})
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url)
    metrics.clear_metrics()
    standin.store.faults = FaultPlan(rate_limit_share=1.0, retry_after_s=0)
    with pytest.raises(HubSpotRateLimited, match="ten_secondly_rolling"):
        gateway.read_contacts([contact], ["industry"])
    # The call and two waits; then the caller's own retry (the journey's, SQS's) takes over.
    assert standin.store.call_count("contacts.batch_read") == 1 + RATE_LIMIT_WAITS
    assert metrics.metric_set["HubSpotRateLimited"]["Value"] == [1.0] * (1 + RATE_LIMIT_WAITS)
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


def test_a_full_ten_second_window_is_waited_out_then_the_call_succeeds(standin: HubSpotStandIn) -> None:
    contact = standin.store.create_object("contacts", {"industry": "RETAIL"})
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url)
    plan = RateLimitPlan(per_ten_seconds=3, window_s=1.0)

    def window_time() -> float:
        # The window stands still until it refuses, then has passed: however slowly the calls come.
        return plan.window_s + 1 if limiter.refused["TEN_SECONDLY_ROLLING"] else 0.0

    limiter = RateLimiter(plan, standin.store.clock, monotonic=window_time)
    standin.store.rate_limits = limiter
    for _ in range(3):
        gateway.read_contacts([contact], ["industry"])
    started = time.monotonic()
    assert gateway.read_contacts([contact], ["industry"])[contact]["industry"] == "RETAIL"
    waited = time.monotonic() - started
    assert limiter.refused["TEN_SECONDLY_ROLLING"] == 1
    # HubSpot sends no Retry-After: the wait is a part of the window its headers announce (1 s here).
    assert waited >= 0.5


def test_a_spent_daily_quota_is_not_retried_and_says_so(standin: HubSpotStandIn) -> None:
    contact = standin.store.create_object("contacts", {})
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url)
    standin.store.limit_rate(RateLimitPlan(daily=2))
    gateway.read_contacts([contact], ["email"])
    gateway.read_contacts([contact], ["email"])
    standin.store.reset_calls()
    with pytest.raises(HubSpotQuotaExhausted, match="daily limit"):
        gateway.read_contacts([contact], ["email"])
    assert standin.store.call_count("contacts.batch_read") == 1


def test_a_refused_write_names_each_refused_property_and_the_value_sent(standin: HubSpotStandIn) -> None:
    contact = standin.store.create_object("contacts", {})
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url)
    with pytest.raises(HubSpotError) as caught:
        gateway.update_contact(contact, {"hs_lead_status": "MAYBE", "leadflow_nonsense": "1"})
    message = str(caught.value)
    assert "hs_lead_status='MAYBE': MAYBE was not one of the allowed options" in message
    assert "leadflow_nonsense='1': Property \"leadflow_nonsense\" does not exist" in message


def test_associations_are_read_page_by_page(standin: HubSpotStandIn) -> None:
    owner = standin.store.add_owner("ada@example.com", "Ada", "L")
    company = standin.store.create_object("companies", {"name": "Acme"})
    for n in range(501):
        deal = standin.store.create_object("deals", {"dealname": f"d{n}", "hubspot_owner_id": owner})
        standin.store.associate("deals", deal, "companies", company)
    standin.store.update_object("deals", deal, {"createdate": "2030-01-01T00:00:00.000Z"})
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url)
    standin.store.reset_calls()
    assert gateway.open_deal_owner(company) == owner
    assert standin.store.call_count("companies.associations") == 2  # 500 a page, then the last one
    assert standin.store.call_count("deals.batch_read") == 6


def test_steps_side_by_side_in_one_process_list_the_owners_once(standin: HubSpotStandIn) -> None:
    from concurrent.futures import ThreadPoolExecutor

    standin.store.add_owner("ada@example.com", "Ada", "L")
    gateway = HubSpotGateway(STANDIN_TOKEN, standin.base_url)
    # The first listing is slow, so every other step asks while it is under way.
    standin.store.faults = FaultPlan(slow_for=(("owners.list", 1, 0.5),))
    with ThreadPoolExecutor(6) as pool:
        listings = list(pool.map(lambda _: gateway.list_owners(), range(6)))
    assert all(owners == listings[0] and len(owners) == 1 for owners in listings)
    assert standin.store.call_count("owners.list") == 1
