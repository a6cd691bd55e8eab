"""What HubSpot POSTs to a custom workflow action's URL (automation actions v4).

Documented payload (https://developers.hubspot.com/docs/api/automation/custom-workflow-actions):
`callbackId`, `origin` {portalId, actionDefinitionId, actionDefinitionVersion}, `context`
{source, workflowId}, `object` {objectId, objectType, properties: the ones `objectRequestOptions`
asks for} and `inputFields` (the values the workflow's author filled in).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from leadflow.webhooks.events import HubSpotId, Name, PropertyValue

# What the workflow's author filled in, with the personalization tokens HubSpot resolved in it: scalars.
InputValue = PropertyValue | bool | int | float | None


class ActionObject(BaseModel):
    """The enrolled record."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    object_id: HubSpotId = Field(alias="objectId")
    object_type: Annotated[str, Field(max_length=64)] = Field(alias="objectType")
    properties: dict[Name, PropertyValue | None] = Field(default_factory=dict)


class ActionRequest(BaseModel):
    """One execution of a custom workflow action."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    callback_id: Annotated[str, Field(alias="callbackId", min_length=1, max_length=200)]
    object: ActionObject
    input_fields: dict[Name, InputValue] = Field(default_factory=dict, alias="inputFields")
    origin: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)

    def flag(self, name: str) -> bool:
        """A checkbox input: HubSpot sends booleans as "true"/"false" (or a boolean)."""
        return str(self.input_fields.get(name, "")).strip().lower() == "true"
