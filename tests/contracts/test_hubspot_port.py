"""The HubSpot port's contract: every test runs on FakeHubSpot and on HubSpotGateway over HTTP.

Both sides answer from a HubSpot stand-in's StandInStore: FakeHubSpot calls it directly, the
gateway reaches it through hubspot-api-client and the stand-in's server. Each test seeds that
store, calls the port, and reads the outcome back from the store, so a fake that drifted from
the real adapter (or from HubSpot's rules) fails here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from leadflow.adapters.hubspot import HubSpotGateway
from leadflow.app.ports import HubSpotError, Properties
from leadflow.core.lifecycle import Prop
from leadflow.core.routing import Owner
from leadflow_cli.hubspot_standin import HubSpotStandIn, StandInStore
from tests.conftest import STANDIN_TOKEN
from tests.fast.fakes import FakeHubSpot

Port = FakeHubSpot | HubSpotGateway

DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
DUE_AS_READ = "2026-11-24T17:00:00.000Z"  # written as epoch ms, read back as HubSpot normalises it
LATER = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
LATER_AS_READ = "2026-11-25T10:30:00.000Z"
UNKNOWN = "424242"


@dataclass(frozen=True)
class Portal:
    """A HubSpot port and the stand-in store it answers from (where tests seed and read back)."""

    port: Port
    crm: StandInStore

    def contact(self, **props: str) -> str:
        """A contact with these properties; its id."""
        return self.crm.create_object("contacts", dict(props))

    def owner(self, email: str = "ada@example.com", *, active: bool = True) -> str:
        """An owner (a HubSpot user); its id."""
        return self.crm.add_owner(email, email.split("@")[0].title(), "Rep", active=active)

    def deal(self, owner: str, created: str, *, company: str = "", contact: str = "", **props: str) -> str:
        """A deal created at `created` (ISO 8601), owned by `owner`, linked to a company or contact."""
        deal = self.crm.create_object("deals", {"hubspot_owner_id": owner, **props})
        # The store stamps createdate with the clock; a stamp of our own keeps the order certain.
        self.crm.update_object("deals", deal, {"createdate": created})
        for kind, record in (("companies", company), ("contacts", contact)):
            if record:
                self.crm.associate("deals", deal, kind, record)
        return deal

    def properties(self, kind: str, record: str) -> dict[str, str]:
        """A record's properties as HubSpot holds them."""
        props: dict[str, str] = self.crm.get_object(kind, record)["properties"]
        return props

    def links(self, kind: str, record: str, to: str) -> list[tuple[str, int]]:
        """(id, association type) of a record's associations to one object type."""
        return self.crm.associations(kind, record, to)


@pytest.fixture(scope="module")
def server() -> Iterator[HubSpotStandIn]:
    """One running stand-in for the module: stopping a server takes half a second (its poll interval)."""
    with HubSpotStandIn(access_token=STANDIN_TOKEN) as standin:
        yield standin


@pytest.fixture(params=["fake", "gateway"])
def portal(request: pytest.FixtureRequest) -> Portal:
    """FakeHubSpot on a StandInStore, or HubSpotGateway against the running stand-in; a fresh store each."""
    crm = StandInStore()
    if request.param == "fake":
        return Portal(FakeHubSpot(crm), crm)
    standin: HubSpotStandIn = request.getfixturevalue("server")
    standin.store = crm  # the server answers from whichever store it holds
    return Portal(HubSpotGateway(STANDIN_TOKEN, standin.base_url), crm)


def refused(call: Callable[[], object]) -> str:
    """The message of the HubSpotError a call raises (exactly that class: not worth retrying)."""
    with pytest.raises(HubSpotError) as caught:
        call()
    assert caught.type is HubSpotError
    return str(caught.value)


def requested(found: dict[str, Properties], names: list[str]) -> dict[str, Properties]:
    """The requested properties of each record read."""
    return {record: {n: props[n] for n in names} for record, props in found.items()}


# Reads ----------------------------------------------------------------------------------------


def test_read_contacts_returns_only_existing_contacts_with_the_requested_properties(portal: Portal) -> None:
    ada = portal.contact(email="ada@example.com", industry="COMPUTER_SOFTWARE", jobtitle="CTO")
    grace = portal.contact(email="grace@example.com")
    names = ["email", "industry"]
    found = portal.port.read_contacts([grace, UNKNOWN, ada, grace], names)
    assert requested(found, names) == {
        ada: {"email": "ada@example.com", "industry": "COMPUTER_SOFTWARE"},
        grace: {"email": "grace@example.com", "industry": None},
    }
    assert "jobtitle" not in found[ada]


def test_a_merged_away_contact_reads_as_its_survivor_under_the_id_asked_for(portal: Portal) -> None:
    ada = portal.contact(email="ada@example.com", industry="COMPUTER_SOFTWARE")
    duplicate = portal.contact(email="ada.l@example.com")
    survivor = portal.crm.merge_contacts(duplicate, ada)
    found = portal.port.read_contacts([ada], ["email", "industry"])
    assert list(found) == [ada]
    assert (found[ada]["hs_object_id"], found[ada]["email"], found[ada]["industry"]) == (
        survivor,
        "ada.l@example.com",  # the primary's values win
        "COMPUTER_SOFTWARE",
    )
    assert sorted(found[ada][Prop.MERGED_IDS].split(";"), key=int) == sorted([ada, duplicate], key=int)


def test_read_companies_returns_only_existing_companies_with_the_requested_properties(portal: Portal) -> None:
    acme = portal.crm.create_object("companies", {"name": "Acme", "domain": "acme.example"})
    found = portal.port.read_companies([acme, UNKNOWN], ["name", "numberofemployees"])
    assert requested(found, ["name", "numberofemployees"]) == {
        acme: {"name": "Acme", "numberofemployees": None}
    }


def test_contacts_where_finds_the_contacts_of_a_company(portal: Portal) -> None:
    ada, _, linus = (portal.contact(**{Prop.COMPANY_ID: company}) for company in ("5001", "5002", "5001"))
    assert portal.port.contacts_where(Prop.COMPANY_ID, "5001") == [ada, linus]
    assert portal.port.contacts_where(Prop.COMPANY_ID, "5001", limit=1) == [ada]
    assert portal.port.contacts_where(Prop.COMPANY_ID, "5003") == []


# Contact updates ------------------------------------------------------------------------------


def test_update_contact_writes_the_properties(portal: Portal) -> None:
    ada = portal.contact(lifecyclestage="marketingqualifiedlead")
    portal.port.update_contact(ada, {"lifecyclestage": "salesqualifiedlead", Prop.DECISION: "accept"})
    props = portal.properties("contacts", ada)
    assert (props["lifecyclestage"], props[Prop.DECISION]) == ("salesqualifiedlead", "accept")


def test_update_contacts_writes_each_contact_its_own_properties(portal: Portal) -> None:
    ada, grace = portal.contact(), portal.contact()
    portal.port.update_contacts({ada: {Prop.SCORE: "80"}, grace: {Prop.SCORE: "35"}})
    assert [portal.properties("contacts", c)[Prop.SCORE] for c in (ada, grace)] == ["80", "35"]


def test_lifecycle_stage_never_moves_backwards_and_the_other_properties_are_written(portal: Portal) -> None:
    ada = portal.contact(lifecyclestage="salesqualifiedlead")
    portal.port.update_contact(ada, {"lifecyclestage": "lead", Prop.DECISION: "recycle"})
    props = portal.properties("contacts", ada)
    assert (props["lifecyclestage"], props[Prop.DECISION]) == ("salesqualifiedlead", "recycle")


def test_lifecycle_stage_moves_back_once_cleared(portal: Portal) -> None:
    ada = portal.contact(lifecyclestage="salesqualifiedlead")
    portal.port.update_contact(ada, {"lifecyclestage": ""})
    portal.port.update_contact(ada, {"lifecyclestage": "lead"})
    assert portal.properties("contacts", ada)["lifecyclestage"] == "lead"


def test_an_unknown_owner_is_refused_naming_the_owner(portal: Portal) -> None:
    ada = portal.contact(hubspot_owner_id=portal.owner())
    before = portal.properties("contacts", ada)
    message = refused(lambda: portal.port.update_contact(ada, {"hubspot_owner_id": UNKNOWN}))
    assert f"hubspot_owner_id='{UNKNOWN}'" in message
    assert portal.properties("contacts", ada) == before


def test_an_unknown_contact_is_refused(portal: Portal) -> None:
    assert "Object not found" in refused(lambda: portal.port.update_contact(UNKNOWN, {Prop.SCORE: "1"}))


# Owners ---------------------------------------------------------------------------------------


def test_list_owners_lists_active_owners_with_lower_case_emails(portal: Portal) -> None:
    ada = portal.owner("Ada.Lovelace@Example.COM")
    portal.owner("grace@example.com", active=False)
    portal.crm.archive_owner(portal.owner("linus@example.com"))
    queue = portal.owner("queue@example.com")
    assert portal.port.list_owners(fresh=True) == [
        Owner(ada, "ada.lovelace@example.com", True),
        Owner(queue, "queue@example.com", True),
    ]


# Tasks and notes ------------------------------------------------------------------------------


def task_of(portal: Portal) -> tuple[str, str, str]:
    """A contact, its owner and a task created for them through the port: (contact, owner, task)."""
    owner = portal.owner()
    contact = portal.contact(hubspot_owner_id=owner)
    return contact, owner, portal.port.create_task(contact, owner, "Call Ada", "She asked for a demo", DUE)


def test_a_task_is_a_to_do_for_the_owner_on_the_contacts_timeline(portal: Portal) -> None:
    contact, owner, task = task_of(portal)
    props = portal.properties("tasks", task)
    assert {k: props[k] for k in ("hs_task_subject", "hs_task_body", "hubspot_owner_id", "hs_timestamp")} == {
        "hs_task_subject": "Call Ada",
        "hs_task_body": "She asked for a demo",
        "hubspot_owner_id": owner,
        "hs_timestamp": DUE_AS_READ,
    }
    assert (props["hs_task_status"], props["hs_task_priority"], props["hs_task_type"]) == (
        "NOT_STARTED",
        "HIGH",
        "TODO",
    )
    assert portal.links("tasks", task, "contacts") == [(contact, 204)]


def test_completing_a_task_marks_it_completed_and_keeps_its_due_date(portal: Portal) -> None:
    _, _, task = task_of(portal)
    portal.port.complete_task(task)
    props = portal.properties("tasks", task)
    assert (props["hs_task_status"], props["hs_timestamp"]) == ("COMPLETED", DUE_AS_READ)


def test_rescheduling_a_task_moves_its_due_date_and_keeps_it_open(portal: Portal) -> None:
    _, _, task = task_of(portal)
    portal.port.reschedule_task(task, LATER)
    props = portal.properties("tasks", task)
    assert (props["hs_task_status"], props["hs_timestamp"]) == ("NOT_STARTED", LATER_AS_READ)


def test_a_task_for_an_unknown_owner_is_refused_and_not_created(portal: Portal) -> None:
    contact = portal.contact()
    message = refused(lambda: portal.port.create_task(contact, UNKNOWN, "Call", "", DUE))
    assert UNKNOWN in message
    assert portal.crm.list_objects("tasks") == []


def test_a_note_is_on_the_contacts_timeline_at_its_time(portal: Portal) -> None:
    contact = portal.contact()
    note = portal.port.create_note(contact, "Routed to Ada (rule: emea)", DUE)
    props = portal.properties("notes", note)
    assert (props["hs_note_body"], props["hs_timestamp"]) == ("Routed to Ada (rule: emea)", DUE_AS_READ)
    assert portal.links("notes", note, "contacts") == [(contact, 202)]


# Deals ----------------------------------------------------------------------------------------


def test_a_deal_is_associated_with_its_contact_and_company(portal: Portal) -> None:
    contact, company = portal.contact(), portal.crm.create_object("companies", {"name": "Acme"})
    deal = portal.port.create_deal(contact, company, {"dealname": "Acme", "pipeline": "default"})
    assert portal.properties("deals", deal)["dealname"] == "Acme"
    assert portal.links("deals", deal, "contacts") == [(contact, 3)]
    assert portal.links("deals", deal, "companies") == [(company, 341)]


def test_a_deal_without_a_company_is_associated_with_its_contact_only(portal: Portal) -> None:
    contact = portal.contact()
    deal = portal.port.create_deal(contact, None, {"dealname": "Ada"})
    assert portal.links("deals", deal, "contacts") == [(contact, 3)]
    assert portal.links("deals", deal, "companies") == []


def test_a_deal_in_a_missing_pipeline_is_refused_naming_the_pipeline(portal: Portal) -> None:
    contact = portal.contact()
    message = refused(
        lambda: portal.port.create_deal(contact, None, {"dealname": "Ada", "pipeline": "sales-2027"})
    )
    assert "'sales-2027'" in message and "pipeline" in message
    assert portal.crm.list_objects("deals") == []


def test_the_open_deal_owner_is_the_owner_of_the_latest_open_deal(portal: Portal) -> None:
    company = portal.crm.create_object("companies", {"name": "Acme"})
    ada, grace, linus = (portal.owner(f"{n}@example.com") for n in ("ada", "grace", "linus"))
    # Created out of order: the latest is chosen by createdate, not by id.
    portal.deal(grace, "2026-03-01T00:00:00.000Z", company=company)
    portal.deal(ada, "2026-01-01T00:00:00.000Z", company=company)
    portal.deal(linus, "2026-05-01T00:00:00.000Z", company=company, dealstage="closedwon")
    portal.deal(linus, "2026-06-01T00:00:00.000Z", company=company, hs_is_closed="true")
    assert portal.port.open_deal_owner(company) == grace


def test_a_company_without_an_open_deal_has_no_deal_owner(portal: Portal) -> None:
    closed, bare = (portal.crm.create_object("companies", {"name": n}) for n in ("Closed", "Bare"))
    portal.deal(portal.owner(), "2026-05-01T00:00:00.000Z", company=closed, dealstage="closedlost")
    assert portal.port.open_deal_owner(closed) is None
    assert portal.port.open_deal_owner(bare) is None


def test_deal_of_journey_finds_the_contacts_deal_stamped_with_the_journey(portal: Portal) -> None:
    ada, grace, owner = portal.contact(), portal.contact(), portal.owner()
    stamp = "2026-01-01T00:00:00.000Z"
    first = portal.deal(owner, stamp, contact=ada, **{Prop.JOURNEY_ID: f"lead-{ada}-1700000000"})
    second = portal.deal(owner, stamp, contact=ada, **{Prop.JOURNEY_ID: f"lead-{ada}-1800000000"})
    portal.deal(owner, stamp, contact=grace, **{Prop.JOURNEY_ID: f"lead-{ada}-1900000000"})
    assert portal.port.deal_of_journey(ada, f"lead-{ada}-1800000000") == second
    assert portal.port.deal_of_journey(ada, f"lead-{ada}-1700000000") == first
    assert portal.port.deal_of_journey(ada, f"lead-{ada}-1900000000") is None  # grace's deal
    assert portal.port.deal_of_journey(grace, f"lead-{ada}-1800000000") is None


# Leads ----------------------------------------------------------------------------------------


def test_a_lead_is_created_with_its_primary_contact_and_company(portal: Portal) -> None:
    contact, company = portal.contact(), portal.crm.create_object("companies", {"name": "Acme"})
    owner = portal.owner()
    lead = portal.port.create_lead(contact, company, {"hs_lead_name": "Ada", "hubspot_owner_id": owner})
    props = portal.properties("leads", lead)
    assert (props["hs_lead_name"], props["hs_pipeline"], props["hs_pipeline_stage"]) == (
        "Ada",
        "lead-pipeline-id",
        "new-stage-id",
    )
    assert portal.links("leads", lead, "contacts") == [(contact, 578)]
    assert portal.links("leads", lead, "companies") == [(company, 580)]


def test_a_lead_without_a_name_is_refused_and_not_created(portal: Portal) -> None:
    contact = portal.contact()
    assert "hs_lead_name" in refused(lambda: portal.port.create_lead(contact, None, {"hs_lead_type": "NEW"}))
    assert portal.crm.list_objects("leads") == []


def test_a_lead_of_a_contact_that_does_not_exist_is_refused(portal: Portal) -> None:
    message = refused(lambda: portal.port.create_lead(UNKNOWN, None, {"hs_lead_name": "Nobody"}))
    assert "contact" in message
    assert portal.crm.list_objects("leads") == []


def test_a_lead_moved_to_a_stage_its_pipeline_lacks_is_refused_naming_the_stage(portal: Portal) -> None:
    lead = portal.port.create_lead(portal.contact(), None, {"hs_lead_name": "Ada"})
    assert "'closed-stage-id'" in refused(
        lambda: portal.port.update_lead(lead, {"hs_pipeline_stage": "closed-stage-id"})
    )
    portal.port.update_lead(lead, {"hs_pipeline_stage": "qualified-stage-id"})
    assert portal.properties("leads", lead)["hs_pipeline_stage"] == "qualified-stage-id"


def test_lead_of_journey_finds_the_contacts_lead_stamped_with_the_journey(portal: Portal) -> None:
    ada, grace = portal.contact(), portal.contact()
    assert portal.port.lead_of_journey(ada, f"lead-{ada}-1700000000") is None
    first = portal.port.create_lead(
        ada, None, {"hs_lead_name": "Ada", Prop.JOURNEY_ID: f"lead-{ada}-1700000000"}
    )
    portal.port.create_lead(grace, None, {"hs_lead_name": "Grace", Prop.JOURNEY_ID: f"lead-{ada}-1800000000"})
    assert portal.port.lead_of_journey(ada, f"lead-{ada}-1700000000") == first
    assert portal.port.lead_of_journey(ada, f"lead-{ada}-1800000000") is None  # grace's lead
    found = portal.port.read_leads([first, UNKNOWN], [Prop.JOURNEY_ID])
    assert (list(found), found[first][Prop.JOURNEY_ID]) == ([first], f"lead-{ada}-1700000000")


def test_tasks_notes_and_deals_are_tied_to_the_lead_as_well_as_the_contact(portal: Portal) -> None:
    contact, owner = portal.contact(), portal.owner()
    lead = portal.port.create_lead(contact, None, {"hs_lead_name": "Ada"})
    task = portal.port.create_task(contact, owner, "Call", "Now", DUE, lead_id=lead)
    note = portal.port.create_note(contact, "leadflow: routed", DUE, lead_id=lead)
    deal = portal.port.create_deal(contact, None, {"dealname": "Ada"}, lead_id=lead)
    assert (portal.links("tasks", task, "leads"), portal.links("tasks", task, "contacts")) == (
        [(lead, 647)],
        [(contact, 204)],
    )
    assert portal.links("notes", note, "leads") == [(lead, 855)]
    assert portal.links("deals", deal, "leads") == [(lead, 1038)]
