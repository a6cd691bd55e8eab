"""HubSpot Webhooks API v3 payloads: a JSON array of up to 100 events."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, TypeAdapter

from leadflow.core.clock import EARLIEST_MS, LATEST_MS
from leadflow.core.text import property_value

# HubSpot's ids are 64-bit integers; a larger number would make a DynamoDB key past its 2 KB.
HubSpotId = Annotated[int, Field(ge=0, le=2**63 - 1)]
Name = Annotated[str, Field(min_length=1, max_length=256)]
# A value from a HubSpot record: whatever a form or an API client put there, kept storable and cut.
PropertyValue = Annotated[str, BeforeValidator(property_value)]


class WebhookEvent(BaseModel):
    """One event of a HubSpot app webhook delivery.

    Fields leadflow does not read (appId, changeFlag, sourceId, ...) are dropped: nothing unbounded
    travels further than the request.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    event_id: HubSpotId = Field(alias="eventId")
    subscription_id: HubSpotId = Field(alias="subscriptionId")
    portal_id: HubSpotId = Field(alias="portalId")
    occurred_at: Annotated[int, Field(ge=EARLIEST_MS, lt=LATEST_MS)] = Field(
        alias="occurredAt", description="epoch milliseconds"
    )
    subscription_type: Annotated[str, Field(alias="subscriptionType", min_length=1, max_length=100)]
    attempt_number: Annotated[int, Field(ge=0, le=1000)] = Field(default=0, alias="attemptNumber")
    object_id: HubSpotId = Field(alias="objectId")
    # Generic subscriptions (`object.propertyChange`, ...) name the object type: "0-1" contacts,
    # "0-136" leads (https://developers.hubspot.com/changelog/public-beta-generic-webhook-subscriptions).
    object_type_id: Annotated[str, Field(max_length=64)] | None = Field(default=None, alias="objectTypeId")
    property_name: Name | None = Field(default=None, alias="propertyName")
    property_value: PropertyValue | None = Field(default=None, alias="propertyValue")
    change_source: Annotated[str, Field(max_length=100)] | None = Field(default=None, alias="changeSource")

    @property
    def is_property_change(self) -> bool:
        """A property's change (legacy `contact.propertyChange` or generic `object.propertyChange`)."""
        return self.subscription_type.endswith(".propertyChange")

    @property
    def dedupe_key(self) -> str:
        """HubSpot's identity of a delivery: the same key means the same event sent again."""
        return f"{self.subscription_id}:{self.event_id}:{self.occurred_at}:{self.object_id}"


WebhookBatch: TypeAdapter[list[WebhookEvent]] = TypeAdapter(
    Annotated[list[WebhookEvent], Field(max_length=100)]
)
