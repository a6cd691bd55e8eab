"""HubSpot's side of what people do in the portal, played against the local runtime.

When a rep or a marketer acts in HubSpot, HubSpot writes the record and then tells the app: a signed
webhook for each event the app subscribes to, a workflow's "Send a webhook" record. The player does
both on the stand-in, in that order, with the runtime's clock, client secret and the HubSpot project's
subscriptions, so what reaches leadflow is what HubSpot would send. `leadflow send` drives it from
another process; the demo drives it in process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from leadflow.core.lifecycle import LeadProp, Prop
from leadflow_cli.hubspot_standin.store import StandInError
from leadflow_cli.hubspot_standin.workflows import ApiKey, SendWebhook, Workflows
from leadflow_cli.webhook_sender import Delivery, HubSpotWebhookSender, SignalsSender

if TYPE_CHECKING:
    from leadflow_cli.local.runtime import LocalRuntime

# HubSpot's labels of its default lead stages (New, Attempting, Connected, Qualified, Disqualified) whose
# stage ids do not start with the label's word (https://knowledge.hubspot.com/prospecting/leads).
_STAGE_WORDS: Final = {"disqualified": "unqualified-stage-id"}


class PlayError(ValueError):
    """What was asked cannot happen in HubSpot (an unknown contact, a value HubSpot refuses); the message
    says why in one sentence."""


@dataclass
class Played:
    """What HubSpot did: the record it wrote, the requests it sent leadflow and their answers, and what
    it sent nothing for."""

    object_id: str
    deliveries: list[Delivery] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)
    detail: str = ""

    def as_json(self) -> dict[str, Any]:
        """The answer `leadflow send` prints."""
        return {
            "object_id": self.object_id,
            "deliveries": [{"status": d.status, "body": d.body} for d in self.deliveries],
            "not_sent": self.not_sent,
            "detail": self.detail,
        }


class _NoRetry(Exception):
    """HubSpot would retry this answer later; the player reports it instead of waiting days."""


class HubSpotPlayer:
    """Plays HubSpot for one running local runtime (its stand-in, its app's subscriptions, its clock)."""

    def __init__(self, runtime: LocalRuntime) -> None:
        if runtime.standin is None or runtime.hubspot_app is None:
            raise PlayError("this runtime calls another HubSpot (--hubspot-url), not the stand-in")
        self._runtime = runtime
        self._standin = runtime.standin
        self._store = runtime.standin.store
        self._subscribed = frozenset(runtime.hubspot_app.project.subscriptions("contacts"))
        self._sender = HubSpotWebhookSender(
            runtime.api_url + "/webhooks/hubspot", runtime.client_secret, clock=runtime.clock.now
        )

    def create_contact(self, properties: Mapping[str, str]) -> Played:
        """A contact created with these values; HubSpot sends `contact.creation`."""
        contact_id = self._write(lambda: self._store.create_object("contacts", dict(properties)))
        played = Played(contact_id)
        played.deliveries.append(self._sender.send([self._sender.event("contact.creation", contact_id)]))
        return played

    def change_contact(self, contact_id: str, properties: Mapping[str, str]) -> Played:
        """New values on a contact; HubSpot sends a `contact.propertyChange` for each the app subscribes to,
        in one request."""
        self._write(lambda: self._store.update_object("contacts", contact_id, dict(properties)))
        played = Played(contact_id)
        events = [
            self._sender.event("contact.propertyChange", contact_id, name, value)
            for name, value in properties.items()
            if name in self._subscribed
        ]
        played.not_sent = sorted(set(properties) - self._subscribed)
        if events:
            played.deliveries.append(self._sender.send(events))
        return played

    def decide(self, contact_id: str, decision: str, reason: str = "") -> Played:
        """A rep's decision on the contact (and its reason), set together as a rep does on the record."""
        values = {Prop.DECISION_REASON: reason} if reason else {}
        return self.change_contact(contact_id, {**values, Prop.DECISION: decision})

    def move_lead(self, contact_id: str, stage: str = "", reason: str = "") -> Played:
        """A rep moves the contact's HubSpot Lead to a stage (its id, or HubSpot's label of it) and/or gives
        the lead's decision reason; the app's subscriptions on leads catch it and HubSpot sends the events."""
        lead_id = self._found("contacts", contact_id)["properties"].get(Prop.LEAD_ID)
        if not lead_id:
            raise PlayError(
                f"contact {contact_id} has no HubSpot Lead: its team hands off on the contact "
                "(`leadflow send decision`), or its journey has not handed it off yet"
            )
        values = {LeadProp.STAGE: self._stage(stage)} if stage else {}
        values |= {Prop.DECISION_REASON: reason} if reason else {}
        if not values:
            raise PlayError("say where the lead moves (a stage) or why (--reason)")
        self._write(lambda: self._store.update_object("leads", lead_id, values))
        try:
            sent = self._runtime.deliver_webhooks()
        except RuntimeError as exc:
            raise PlayError(str(exc)) from None
        return Played(lead_id, detail=f"the app's subscriptions caught {sent} change(s), sent as webhooks")

    def send_webhook_action(self, contact_id: str, picked: Mapping[str, str], api_key: bool) -> Played:
        """A workflow's "Send a webhook" action enrolls the contact: the whole contact record, or the picked
        properties (request key -> property), signed with the app's client secret or carrying the API key."""
        from leadflow import wiring

        self._found("contacts", contact_id)
        name = wiring.config().workflows.api_key_name
        key = ApiKey(name, self._runtime.workflow_api_key) if api_key else None
        action = SendWebhook(self._runtime.api_url + "/workflows/webhook", dict(picked) or "all", key)
        try:
            execution = self._workflows().send_webhook(contact_id, action)
        except _NoRetry:
            return Played(
                contact_id,
                detail="leadflow's answer was one HubSpot retries for three days (a 5xx, a 429 or no "
                "connection); the runtime's log says why",
            )
        return Played(contact_id, [Delivery(status, {}, 0.0) for status in execution.attempts])

    def post_signal(self, contact_id: str, signal: Mapping[str, Any]) -> Played:
        """An outside tool posts a signal about the contact to POST /signals, dated now on the local clock
        unless it says when."""
        self._found("contacts", contact_id)
        dated = {"occurred_at": self._runtime.clock.now().isoformat(timespec="seconds"), **signal}
        sender = SignalsSender(self._runtime.api_url + "/signals", self._runtime.signals_secret)
        return Played(contact_id, [sender.send([{"contact_id": contact_id, "signal": dated}])])

    def _stage(self, stage: str) -> str:
        stages = [s for pipeline in self._store.pipelines("leads").values() for s in pipeline]
        word = stage.strip().casefold()
        found = next((s for s in stages if s == stage or s.casefold() == f"{word}-stage-id"), None)
        found = found or (_STAGE_WORDS.get(word) if _STAGE_WORDS.get(word) in stages else None)
        if found is None:
            raise PlayError(f"no lead stage {stage!r}: the lead pipeline has {', '.join(stages)}")
        return found

    def _workflows(self) -> Workflows:
        def wait(_seconds: float) -> None:
            raise _NoRetry

        return Workflows(self._standin, self._runtime.client_secret, wait=wait)

    def _found(self, object_type: str, object_id: str) -> dict[str, Any]:
        try:
            return self._store.get_object(object_type, object_id)
        except StandInError:
            raise PlayError(f"HubSpot has no {object_type[:-1]} {object_id}") from None

    @staticmethod
    def _write(write: Any) -> str:
        try:
            found = write()
        except StandInError as exc:
            raise PlayError(f"HubSpot refused it: {exc}") from None
        return str(found if isinstance(found, str) else found.get("id", ""))
