"""The HubSpot stand-in, driven by the real hubspot-api-client over HTTP."""

from __future__ import annotations

import threading

import pytest
import urllib3
from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ApiException, NotFoundException
from hubspot.crm.owners.exceptions import ApiException as OwnersApiException
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException

from leadflow_cli.hubspot_standin import FaultPlan, HubSpotStandIn
from tests.conftest import STANDIN_TOKEN, hubspot_client

TOKEN = STANDIN_TOKEN


def client(standin: HubSpotStandIn, token: str = TOKEN) -> HubSpot:
    return hubspot_client(standin, token)


def test_contacts_create_get_and_batch_read_with_a_partial_207(standin: HubSpotStandIn) -> None:
    api = client(standin).crm.contacts
    created = api.basic_api.create(
        simple_public_object_input_for_create=SimplePublicObjectInputForCreate(
            properties={"email": "a@example.com", "industry": "RETAIL"}
        )
    )
    fetched = api.basic_api.get_by_id(created.id, properties=["industry"])
    assert fetched.properties["industry"] == "RETAIL"
    body = BatchReadInputSimplePublicObjectId(
        properties=["email"], inputs=[{"id": created.id}, {"id": "999999"}], properties_with_history=[]
    )
    page = api.batch_api.read(batch_read_input_simple_public_object_id=body)
    assert [r.properties["email"] for r in page.results] == ["a@example.com"]
    assert page.errors[0].context == {"ids": ["999999"]}


def test_an_unknown_contact_is_a_not_found_exception(standin: HubSpotStandIn) -> None:
    with pytest.raises(NotFoundException):
        client(standin).crm.contacts.basic_api.get_by_id("424242")


def test_batch_update_writes_every_contact_and_refuses_more_than_100(standin: HubSpotStandIn) -> None:
    ids = [standin.store.create_object("contacts", {"email": f"{i}@x.example"}) for i in range(3)]
    api = client(standin).crm.contacts.batch_api
    inputs = [{"id": i, "properties": {"leadflow_score": "42"}} for i in ids]
    api.update(
        batch_input_simple_public_object_batch_input=BatchInputSimplePublicObjectBatchInput(inputs=inputs)
    )
    assert {standin.store.get_object("contacts", i)["properties"]["leadflow_score"] for i in ids} == {"42"}
    too_many = [{"id": ids[0], "properties": {}}] * 101
    with pytest.raises(ApiException) as caught:
        api.update(
            batch_input_simple_public_object_batch_input=BatchInputSimplePublicObjectBatchInput(
                inputs=too_many
            )
        )
    assert caught.value.status == 400


def test_lifecycle_stage_only_moves_forward_unless_cleared_first(standin: HubSpotStandIn) -> None:
    contact = standin.store.create_object("contacts", {"lifecyclestage": "marketingqualifiedlead"})
    api = client(standin).crm.contacts.basic_api

    def stage_after(value: str) -> str:
        api.update(
            contact, simple_public_object_input=SimplePublicObjectInput(properties={"lifecyclestage": value})
        )
        return str(standin.store.get_object("contacts", contact)["properties"]["lifecyclestage"])

    assert stage_after("lead") == "marketingqualifiedlead"
    assert stage_after("salesqualifiedlead") == "salesqualifiedlead"
    assert stage_after("") == ""
    assert stage_after("lead") == "lead"


def test_owner_ids_are_validated_and_owners_listed(standin: HubSpotStandIn) -> None:
    owner = standin.store.add_owner("ada@example.com", "Ada", "Lovelace")
    standin.store.add_owner("gone@example.com", "Gone", "Away", active=False)
    hub = client(standin)
    page = hub.crm.owners.owners_api.get_page(limit=500, archived=False)
    assert [(o.id, o.email) for o in page.results] == [(owner, "ada@example.com")]
    contact = standin.store.create_object("contacts", {})
    with pytest.raises(ApiException) as caught:
        hub.crm.contacts.basic_api.update(
            contact, simple_public_object_input=SimplePublicObjectInput(properties={"hubspot_owner_id": "1"})
        )
    assert caught.value.status == 400 and "hubspot_owner_id" in caught.value.body


def test_tasks_need_a_due_time_and_are_associated_at_creation(standin: HubSpotStandIn) -> None:
    from hubspot.crm.objects import SimplePublicObjectInputForCreate as ObjectCreate
    from hubspot.crm.objects.tasks.exceptions import ApiException as TasksApiException

    contact = standin.store.create_object("contacts", {})
    tasks = client(standin).crm.objects.tasks.basic_api
    link = {
        "to": {"id": contact},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}],
    }
    with pytest.raises(TasksApiException) as caught:
        tasks.create(simple_public_object_input_for_create=ObjectCreate(properties={"hs_task_subject": "x"}))
    assert caught.value.status == 400 and "hs_timestamp" in caught.value.body
    task = tasks.create(
        simple_public_object_input_for_create=ObjectCreate(
            properties={"hs_timestamp": "1764000000000", "hs_task_subject": "Call"}, associations=[link]
        )
    )
    assert standin.store.associations("tasks", task.id, "contacts") == [(contact, 204)]
    assert standin.store.associations("contacts", contact, "tasks") == [(task.id, 203)]
    answer = client(standin).crm.associations.v4.basic_api.get_page("contacts", contact, "tasks")
    assert [str(r.to_object_id) for r in answer.results] == [task.id]


def test_properties_and_groups_are_created_once(standin: HubSpotStandIn) -> None:
    props = client(standin).crm.properties
    props.groups_api.create(
        "contacts", property_group_create=PropertyGroupCreate(name="revops", label="RevOps")
    )
    spec = PropertyCreate(
        name="lead_grade", label="Lead grade", type="number", field_type="number", group_name="revops"
    )
    created = props.core_api.create("contacts", property_create=spec)
    assert created.name == "lead_grade"
    with pytest.raises(PropertiesApiException) as caught:
        props.core_api.create("contacts", property_create=spec)
    assert caught.value.status == 409 and "already exists" in caught.value.body
    assert props.core_api.get_by_name("contacts", "lead_grade").group_name == "revops"


def test_a_wrong_token_is_refused_and_counted(standin: HubSpotStandIn) -> None:
    with pytest.raises(OwnersApiException) as caught:
        client(standin, token="nope").crm.owners.owners_api.get_page()
    assert caught.value.status == 401
    assert standin.store.call_count("owners.list") == 1


def test_faults_answer_429_with_retry_after_and_drop_connections() -> None:
    with HubSpotStandIn(
        access_token=TOKEN, faults=FaultPlan(rate_limit_share=1.0, retry_after_s=7)
    ) as server:
        with pytest.raises(OwnersApiException) as caught:
            client(server).crm.owners.owners_api.get_page()
        assert caught.value.status == 429
        assert caught.value.headers["Retry-After"] == "7"
        assert '"policyName": "TEN_SECONDLY_ROLLING"' in caught.value.body
        server.store.faults = FaultPlan(drop_share=1.0)
        with pytest.raises(urllib3.exceptions.HTTPError):
            client(server).crm.owners.owners_api.get_page()


def test_concurrent_creates_get_unique_ids(standin: HubSpotStandIn) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def create() -> None:
        for _ in range(10):
            new = standin.store.create_object("notes", {"hs_timestamp": "1"})
            with lock:
                ids.append(new)

    threads = [threading.Thread(target=create) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 200
