"""HubSpot's date-based answers as leadflow reads them: errors a batch carries in a 200 (or a 207),
warnings, and a portal rule's refusal (bodies as HubSpot's migration guide and the 2026-09 write
validation changelog give them)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadflow.adapters.hubspot_errors import batch_refusal, log_warnings, translate
from leadflow.app.ports import HubSpotError, HubSpotRequiredProperty

NOT_FOUND = {
    "status": "error",
    "category": "OBJECT_NOT_FOUND",
    "message": "Could not get some objects, they may be deleted or not exist. ids: 9",
    "context": {"ids": ["9"]},
}
REFUSED = {
    "status": "error",
    "category": "VALIDATION_ERROR",
    "message": 'Property values were not valid: [{"isValid":false,"message":"x was not one of the allowed '
    'options","error":"INVALID_OPTION","name":"hs_lead_status"}]',
    "context": {},
}


def batch(*errors: dict[str, Any]) -> dict[str, Any]:
    return {"status": "COMPLETE", "results": [], "numErrors": len(errors), "errors": list(errors)}


def test_ids_hubspot_does_not_have_are_no_error_for_a_read() -> None:
    assert batch_refusal(batch(NOT_FOUND), {}, missing_ok=True) is None


def test_errors_a_batch_carries_in_a_200_fail_it_naming_the_property_and_value() -> None:
    refusal = batch_refusal(batch(REFUSED, NOT_FOUND), {"hs_lead_status": "x"}, missing_ok=True)
    assert isinstance(refusal, HubSpotError) and refusal.status == 400
    assert "1 of the batch refused: refused hs_lead_status='x'" in str(refusal)


def test_a_write_batch_with_a_missing_record_is_a_not_found_error() -> None:
    refusal = batch_refusal(batch(NOT_FOUND), {}, missing_ok=False)
    assert refusal is not None and refusal.not_found


class Refused(Exception):
    """What hubspot-api-client raises for a 400: its status and body."""

    __module__ = "hubspot.crm.objects.exceptions"

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__("400")
        self.status, self.body = 400, json.dumps(body)


def test_a_portal_rule_refusal_names_each_property_and_its_rule() -> None:
    body = {
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": "The property values provided are invalid",
        "errors": [
            {
                "code": "MISSING_CONDITIONAL_REQUIRED_PROPERTY",
                "message": (
                    "lead_tier is required because of a conditional property rule based on [hs_lead_status]"
                ),
                "context": {"propertyName": ["lead_tier"]},
            },
            {
                "code": "MISSING_REQUIRED_PROPERTY",
                "message": "A value for deal_source must be provided",
                "context": {"propertyName": ["deal_source"]},
            },
        ],
    }
    error = translate(Refused(body))
    assert isinstance(error, HubSpotRequiredProperty)
    assert error.properties == ("lead_tier", "deal_source") and error.status == 400
    assert "lead_tier: required by a conditional property rule of the portal" in str(error)
    assert "deal_source: required on create by the portal's record creator settings" in str(error)


def test_a_portal_rule_refusal_inside_a_batch_is_the_same_error() -> None:
    inner = {
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": "invalid",
        "errors": [
            {
                "code": "MISSING_REQUIRED_PROPERTY",
                "message": "A value for x must be provided",
                "context": {"propertyName": ["x"]},
            }
        ],
    }
    refusal = batch_refusal(batch(inner), {}, missing_ok=False)
    assert isinstance(refusal, HubSpotRequiredProperty) and refusal.properties == ("x",)


def test_warnings_are_logged_not_dropped(caplog: pytest.LogCaptureFixture) -> None:
    warning = {
        "category": "PROPERTY_VALUE_NORMALIZED",
        "message": "date_of_birth was normalized",
        "context": {"propertyName": "date_of_birth", "rawValue": "1990-01-01T00:00:00Z"},
    }
    log_warnings(
        {"status": "COMPLETE", "results": [], "warnings": [warning]}, "/crm/objects/2026-09/contacts"
    )
    (record,) = [r for r in caplog.records if r.getMessage() == "HubSpot answered with a warning"]
    assert (record.category, record.warning) == ("PROPERTY_VALUE_NORMALIZED", "date_of_birth was normalized")  # type: ignore[attr-defined]
