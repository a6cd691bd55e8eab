"""HubSpot Webhooks API v3 payloads: a JSON array of up to 100 events."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class WebhookEvent(BaseModel):
    """One event of a HubSpot app webhook delivery."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    event_id: int = Field(alias="eventId")
    subscription_id: int = Field(alias="subscriptionId")
    portal_id: int = Field(alias="portalId")
    occurred_at: int = Field(alias="occurredAt", description="epoch milliseconds")
    subscription_type: Annotated[str, Field(alias="subscriptionType", min_length=1)]
    attempt_number: int = Field(default=0, alias="attemptNumber")
    object_id: int = Field(alias="objectId")
    # Generic subscriptions (`object.propertyChange`, ...) name the object type: "0-1" contacts,
    # "0-136" leads (https://developers.hubspot.com/changelog/public-beta-generic-webhook-subscriptions).
    object_type_id: str | None = Field(default=None, alias="objectTypeId")
    property_name: str | None = Field(default=None, alias="propertyName")
    property_value: str | None = Field(default=None, alias="propertyValue")
    change_source: str | None = Field(default=None, alias="changeSource")

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
