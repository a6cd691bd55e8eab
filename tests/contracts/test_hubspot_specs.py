"""The stand-in against HubSpot's published specs: every route it serves, on the legacy and the date-based
versions, sent valid and invalid requests over HTTP; each answer must have the status HubSpot gives, a body
the spec's response schema for that operation and status takes, HubSpot's error format on a refusal, and no
client mistake may be answered 5xx.

The specs are HubSpot's own (leadflow_cli/hubspot_standin/specs/, with their source and commit), with the
places where HubSpot behaves otherwise listed and sourced in openapi.OBSERVED.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
import urllib3
from openapi_spec_validator import validate

from leadflow_cli.hubspot_standin import FaultPlan, HubSpotStandIn, StandInStore
from leadflow_cli.hubspot_standin.automation import Automation
from leadflow_cli.hubspot_standin.openapi import OBSERVED, SPECS_DIR, specs
from leadflow_cli.hubspot_standin.rate_limits import RateLimitPlan
from tests.conftest import STANDIN_TOKEN
from tests.contracts.spec_cases import CASES, PREFIXES, VERSIONS, Case

DEVELOPER_KEY = "developer-key"
APP = "777"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
ACTION = {
    "actionUrl": "https://leadflow.example/workflows/actions/handoff",
    "published": True,
    "objectTypes": ["CONTACT"],
    "inputFields": [],
    "functions": [],
    "labels": {"en": {"actionName": "Hand off"}},
}


@pytest.fixture(scope="module")
def standin() -> Iterator[HubSpotStandIn]:
    """One server for the module; each test gives it a portal of its own."""
    with HubSpotStandIn(access_token=STANDIN_TOKEN, developer_key=DEVELOPER_KEY) as server:
        yield server


@pytest.fixture(scope="module")
def http() -> urllib3.PoolManager:
    return urllib3.PoolManager(retries=False, timeout=10.0)


def portal(standin: HubSpotStandIn) -> dict[str, str]:
    """A fresh portal on the server: an owner, contacts, a company, a deal, a lead, a note, a blocked
    workflow execution and an action definition; their ids by name."""
    store, automation = StandInStore(clock=lambda: NOW), Automation(lambda: NOW)
    standin.store, standin.automation = store, automation
    owner = store.add_owner("ada@example.com", "Ada", "Lovelace")
    contact = store.create_object("contacts", {"email": "ada@example.com", "hubspot_owner_id": owner})
    company = store.create_object("companies", {"name": "Acme"})
    deal = store.create_object("deals", {"dealname": "Acme", "hubspot_owner_id": owner})
    store.associate("deals", deal, "contacts", contact)
    store.associate("deals", deal, "companies", company)
    primary = [
        {
            "to": {"id": contact},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 578}],
        }
    ]
    automation.block("callback-1", None)
    return {
        "owner": owner,
        "contact": contact,
        "duplicate": store.create_object("contacts", {"email": "ada.l@example.com"}),
        "company": company,
        "deal": deal,
        "lead": store.create_object("leads", {"hs_lead_name": "Ada"}, primary),
        "note": store.create_object("notes", {"hs_timestamp": "1764000000000"}),
        "callback": "callback-1",
        "app": APP,
        "definition": automation.create_definition(APP, ACTION)["id"],
    }


def send(
    http: urllib3.PoolManager,
    standin: HubSpotStandIn,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, str] | None = None,
    raw: bytes | None = None,
    token: str = STANDIN_TOKEN,
) -> tuple[int, Any]:
    """A request as any HTTP client sends it; (status, JSON body or None)."""
    fields = dict(query or {})
    if path.startswith("/automation/v4/actions/") and "/callbacks" not in path:
        fields["hapikey"] = DEVELOPER_KEY
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    answer = http.request(
        method,
        standin.base_url + path + ("?" + urlencode(fields) if fields else ""),
        body=payload,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    return answer.status, (json.loads(answer.data) if answer.data else None)


def spec_problems(method: str, path: str, status: int, body: Any) -> list[str]:
    """What HubSpot's spec of the operation refuses in an answer, and in a refusal's error format."""
    operation = specs().operation(method, path)
    assert operation is not None, f"no vendored spec has {method} {path}"
    problems = specs().response_problems(operation, status, body)
    if status >= 400:
        problems += error_format_problems(body)
    return problems


def error_format_problems(body: Any) -> list[str]:
    """HubSpot's error body: status "error", a message, a correlationId (a UUID) and a category."""
    if not isinstance(body, dict):
        return [f"an error answer must be a JSON object, not {body!r}"]
    problems = [f"{k} missing" for k in ("status", "message", "correlationId", "category") if not body.get(k)]
    if body.get("status") != "error":
        problems.append(f"status is {body.get('status')!r}, not 'error'")
    try:
        uuid.UUID(str(body.get("correlationId")))
    except ValueError:
        problems.append(f"correlationId {body.get('correlationId')!r} is no UUID")
    return problems


def _cases() -> list[Any]:
    return [pytest.param(case, v, id=f"{v}:{case.name}") for case in CASES for v in case.versions]


@pytest.mark.parametrize(("case", "version"), _cases())
def test_the_stand_in_answers_as_the_spec_says(
    case: Case, version: str, standin: HubSpotStandIn, http: urllib3.PoolManager
) -> None:
    method, path, body, query = case.request(version, portal(standin))
    status, answer = send(http, standin, method, path, body, dict(query), case.raw)
    assert status < 500, f"a client's mistake answered {status}: {answer}"
    assert status == case.expected(version), f"{method} {path} answered {status}: {answer}"
    assert spec_problems(method, path, status, answer) == []


def test_every_operation_served_has_valid_and_invalid_cases_on_every_version() -> None:
    ids = {name: "1" for name in ("owner", "contact", "duplicate", "company", "deal", "lead", "note")}
    ids |= {"callback": "c", "app": APP, "definition": "1"}
    covered: dict[tuple[str, str], set[bool]] = {}
    for case in CASES:
        for version in case.versions:
            method, path, _, _ = case.request(version, ids)
            operation = specs().operation(method, path)
            assert operation is not None and operation.version == version, f"{case.name} on {version}"
            covered.setdefault((operation.file, operation.name), set()).add(case.expected(version) < 300)
    missing = [
        f"{o.file}: {o.name} lacks {'valid' if True not in found else 'invalid'} requests"
        for o in specs().operations
        if (found := covered.get((o.file, o.name), set())) != {True, False}
    ]
    assert missing == []


@pytest.mark.parametrize("version", VERSIONS)
def test_a_wrong_token_is_hubspots_401(
    version: str, standin: HubSpotStandIn, http: urllib3.PoolManager
) -> None:
    portal(standin)
    path = PREFIXES[version]["owners"]
    status, body = send(http, standin, "GET", path, token="wrong")
    assert status == 401
    assert spec_problems("GET", path, status, body) == []


def test_a_route_hubspot_does_not_have_is_its_404(standin: HubSpotStandIn, http: urllib3.PoolManager) -> None:
    status, body = send(http, standin, "GET", "/crm/v3/widgets")
    assert status == 404
    assert error_format_problems(body) == []


@pytest.mark.parametrize("version", VERSIONS)
def test_an_outage_is_hubspots_error_answer(
    version: str, standin: HubSpotStandIn, http: urllib3.PoolManager
) -> None:
    ids = portal(standin)
    standin.store.faults = FaultPlan(server_error_share=1.0)
    path = f"{PREFIXES[version]['objects']}/contacts/{ids['contact']}"
    status, body = send(http, standin, "GET", path)
    assert status == 502
    assert spec_problems("GET", path, status, body) == []


def test_a_rate_limited_request_gets_the_429_body_hubspot_documents(
    standin: HubSpotStandIn, http: urllib3.PoolManager
) -> None:
    """HubSpot's 429 bodies carry no `category`, unlike its specs' Error (observed over spec: the usage
    guidelines' example, https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines)."""
    portal(standin)
    standin.store.limit_rate(RateLimitPlan(per_ten_seconds=1))
    send(http, standin, "GET", "/crm/owners/2026-09")
    status, body = send(http, standin, "GET", "/crm/owners/2026-09")
    assert status == 429
    assert {k: body[k] for k in ("status", "errorType", "policyName")} == {
        "status": "error",
        "errorType": "RATE_LIMIT",
        "policyName": "TEN_SECONDLY_ROLLING",
    }
    assert error_format_problems(body) == ["category missing"]


def test_the_vendored_specs_are_valid_openapi_documents_listing_what_the_manifest_says() -> None:
    manifest = specs().manifest
    assert manifest["repository"] == "https://github.com/HubSpot/HubSpot-public-api-spec-collection"
    assert len(manifest["commit"]) == 40
    assert sorted(p.name for p in SPECS_DIR.glob("*.json") if p.name != "manifest.json") == sorted(
        manifest["files"]
    )
    for name, source in manifest["files"].items():
        document = json.loads((SPECS_DIR / name).read_text(encoding="utf-8"))
        validate(document)
        served = [
            f"{m.upper()} {p}" for p, item in document["paths"].items() for m in item if m != "parameters"
        ]
        assert sorted(served) == sorted(source["operations"]), name


def test_every_observed_deviation_changes_a_vendored_spec() -> None:
    def applies(pointer: str, name: str) -> bool:
        node: Any = json.loads((SPECS_DIR / name).read_text(encoding="utf-8"))
        parent = pointer.rpartition("/")[0]
        for part in parent.strip("/").split("/"):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return isinstance(node, dict)

    names = list(specs().manifest["files"])
    for deviation in OBSERVED:
        assert any(n.startswith(deviation.files) and applies(deviation.pointer, n) for n in names), (
            deviation.pointer
        )
        assert "http" in deviation.source or "spec" in deviation.source, deviation.pointer
