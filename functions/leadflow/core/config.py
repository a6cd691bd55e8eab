"""The team's leadflow configuration: one YAML file, validated by pydantic.

A bad file fails at load with a message naming the field, so a RevOps edit cannot
reach production half-understood.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import AfterValidator, Field, ValidationError, model_validator

from leadflow.core import config_errors
from leadflow.core.clock import next_midnight
from leadflow.core.conditions import Condition
from leadflow.core.lifecycle import GATES, PACKET, Prop
from leadflow.core.scoring_config import PropertyName, ScoringConfig, Strict, repeated

# The longest a journey may be configured to take: Step Functions ends an execution after a year
# (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), and the rest is kept
# for what can lengthen any journey (a day of quota parking, throttled and failed steps, a repair).
MAX_JOURNEY_DAYS: Final = 330


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid; the message names the field."""


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


TimeZone = Annotated[
    str, Field(min_length=1, description="IANA time zone, e.g. Europe/Berlin"), AfterValidator(_known_zone)
]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]
TeamName = Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Hours = Annotated[float, Field(gt=0, le=24 * 30)]


class Leave(Strict):
    """Out-of-office dates, both days included, in the member's time zone."""

    start: Annotated[date, Field(alias="from")]
    end: Annotated[date, Field(alias="to")]

    @model_validator(mode="after")
    def _ordered(self) -> Leave:
        if self.end < self.start:
            raise ValueError("'to' must not be before 'from'")
        return self


class CalendarConfig(Strict):
    """When a team works: SLA clocks count only these hours, and routing only picks reps inside them."""

    timezone: TimeZone
    hours: Annotated[
        str,
        Field(
            pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]-(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$",
            description="HH:MM-HH:MM in the calendar's time zone; 24:00 ends at midnight",
        ),
    ] = "09:00-17:00"
    days: Annotated[list[Weekday], Field(min_length=1)] = ["mon", "tue", "wed", "thu", "fri"]
    holidays: list[date] = Field(default_factory=list)

    @model_validator(mode="after")
    def _valid(self) -> CalendarConfig:
        start, end = self.hours.split("-")
        if end <= start:
            raise ValueError(f"hours {self.hours!r} must end after they start")
        return self

    def most_days_for(self, hours: float) -> float:
        """The most calendar days `hours` business hours can take in this calendar: whole working days,
        whole weeks of them, every holiday falling inside, and the day they start on."""
        start, end = (int(t[:2]) * 60 + int(t[3:]) for t in self.hours.split("-"))
        working_days = math.ceil(hours * 60 / (end - start))
        return math.ceil(working_days / len(set(self.days))) * 7 + len(self.holidays) + 1


class Member(Strict):
    """A rep in a team's rotation."""

    email: Email
    weight: Annotated[int, Field(ge=1, le=100)] = 1
    daily_cap: Annotated[int, Field(ge=1)] | None = Field(default=None, description="most new leads per day")
    timezone: TimeZone | None = Field(default=None, description="overrides the team calendar's time zone")
    out_of_office: list[Leave] = Field(default_factory=list)
    active: bool = True


# Why a member misses a turn of the rotation that the rotation may make up to them later.
CatchUpCause = Literal["working_hours", "out_of_office", "daily_cap"]
_CATCH_UP: tuple[CatchUpCause, ...] = ("working_hours",)

# `lead_qualified`: the rep moved the contact's HubSpot Lead to its Qualified stage.
EngagementKind = Literal["meeting_booked", "email_reply", "call_logged", "lead_qualified"]
SqlPolicy = Literal["engagement_required", "fast_track", "meeting_booked"]


class DealConfig(Strict):
    """Where the deal an SQL creates goes."""

    pipeline: Annotated[str, Field(min_length=1)] = "default"
    stage: Annotated[str, Field(min_length=1)] = "appointmentscheduled"


class TeamConfig(Strict):
    """A team: its rotation, its queue owner, its manager, its calendar and its SQL policy."""

    members: Annotated[list[Member], Field(min_length=1)]
    fallback_owner: Email
    manager: Email | None = None
    calendar: CalendarConfig | None = Field(default=None, description="none: around the clock")
    sql_policy: SqlPolicy = "engagement_required"
    qualification_days: Annotated[float, Field(gt=0, le=365)] = 14
    deal: DealConfig | None = Field(
        default=None, description="overrides journey.deal for this team (what it leaves out comes from there)"
    )
    catch_up: list[CatchUpCause] = Field(
        default_factory=lambda: list(_CATCH_UP),
        description=(
            "turns a member misses for these reasons are owed to them and made up once they can take leads "
            "again; a turn missed for any other reason is forfeited (by default a rep back from leave or "
            "from a full day is not flooded, one outside working hours catches up)"
        ),
    )
    handoff: Literal["contact", "lead"] = Field(
        default="contact",
        description=(
            "where the rep works the handoff: on the contact (leadflow_decision), or on a HubSpot Lead "
            "(Sales Hub prospecting workspace) whose stage moves are the rep's decisions (journey.leads)"
        ),
    )

    @model_validator(mode="after")
    def _unique_members(self) -> TeamConfig:
        twice = repeated([m.email.lower() for m in self.members])
        if twice:
            raise ValueError(f"members repeated: {', '.join(twice)}")
        return self


class RoutingRule(Strict):
    """Contacts matching every condition go to `team` (rules are tried in order; the first match wins)."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    when: Annotated[dict[str, Condition], Field(min_length=1, description="property -> condition")]
    team: TeamName
    account_match: bool | None = Field(default=None, description="overrides routing.account_matching")


class RoutingConfig(Strict):
    """Who receives MQLs: rules lead to teams; a team rotates its available members by weight."""

    rules: list[RoutingRule] = Field(default_factory=list)
    default_team: TeamName
    account_matching: bool = Field(
        default=True, description="route to the company's owner (or its open deal's owner) first"
    )
    teams: Annotated[dict[TeamName, TeamConfig], Field(min_length=1)]

    @model_validator(mode="after")
    def _teams_exist(self) -> RoutingConfig:
        wanted = [("default_team", self.default_team)] + [(f"rule {r.name}", r.team) for r in self.rules]
        for where, team in wanted:
            if team not in self.teams:
                raise ValueError(f"{where} names unknown team {team!r}")
        twice = repeated([r.name for r in self.rules])
        if twice:
            raise ValueError(f"rule names must be unique, repeated: {', '.join(twice)}")
        return self

    @property
    def properties(self) -> frozenset[str]:
        """The contact (and `company.`) properties the routing rules read."""
        return frozenset(p for rule in self.rules for p in rule.when)

    @property
    def contact_properties(self) -> frozenset[str]:
        """The contact properties routing reads: its rules' own, the company id, and the tier and
        persona scoring gave the contact."""
        own = {p for p in self.properties if not p.startswith("company.")}
        return frozenset(own | {Prop.COMPANY_ID, Prop.FIT_TIER, Prop.PERSONA})


class EscalationStep(Strict):
    """One rung of the escalation ladder, and how long the lead waits after it."""

    step: Literal["remind", "alert_manager", "reassign"]
    hours: Hours


class CustomProperty(Strict):
    """A property the portal's admin created (HubSpot's default properties need no declaration)."""

    # HubSpot's property types (https://developers.hubspot.com/docs/api-reference/crm-properties-v3/guide).
    type: Literal["string", "number", "enumeration", "bool", "date", "datetime"] = "string"
    options: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="the internal values of an enumeration's options"
    )

    @model_validator(mode="after")
    def _options_of_enumerations(self) -> CustomProperty:
        if self.options and self.type != "enumeration":
            raise ValueError(f"options are only for an enumeration, not a {self.type}")
        return self


class PortalConfig(Strict):
    """Facts about the HubSpot portal leadflow runs in."""

    time_zone: TimeZone = Field(
        default="UTC",
        description="the portal's time zone (Settings > Account defaults): its daily API quota resets "
        "at midnight there",
    )
    custom_properties: dict[PropertyName, CustomProperty] = Field(
        default_factory=dict,
        description=(
            "the portal's own properties the rules read (company.<name> for a company's), so that checks "
            "without the portal (`leadflow config check`, `leadflow local`) know them from a misspelling"
        ),
    )

    calls_per_ten_seconds: Annotated[int, Field(ge=10, le=1000)] = Field(
        default=100,
        description="the portal's limit of API calls per rolling ten seconds for leadflow's app: 100 on Free "
        "and Starter, 190 on Professional and Enterprise (more with HubSpot's API limit increase); every "
        "function paces its calls under it, sharing one budget",
    )
    searches_per_second: Annotated[int, Field(ge=1, le=100)] = Field(
        default=4,
        description="the portal's limit of CRM search calls per second (HubSpot's is four), paced apart from "
        "the ten-second one",
    )

    def quota_resets_at(self, now: datetime) -> datetime:
        """When HubSpot's daily API quota next resets: midnight in the portal's time zone
        (https://developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines)."""
        return next_midnight(now, self.time_zone)


class SlaConfig(Strict):
    """How long a rep has to decide, and what happens each time that time runs out."""

    decision_hours: Hours = 4
    escalation: list[EscalationStep] = Field(
        default_factory=lambda: [
            EscalationStep(step="remind", hours=2),
            EscalationStep(step="alert_manager", hours=2),
            EscalationStep(step="reassign", hours=4),
        ],
        description="after the last step's hours, the team's fallback owner takes the lead",
        max_length=10,
    )
    fallback_days: Annotated[float, Field(gt=0, le=365)] = Field(
        default=14,
        description=(
            "days the fallback owner has to accept, recycle or reject; after them the lead is "
            "recycled with reason no_response"
        ),
    )


class RecycleConfig(Strict):
    """What recycling does to a lead."""

    cooldown_days: Annotated[float, Field(ge=0, le=365)] = 30
    owner: Literal["keep", "clear"] = "keep"


# HubSpot stamps the first two when a meeting is booked and when a sales email is answered; the
# connected call is leadflow's property, stamped by a HubSpot workflow on the call's outcome.
DEFAULT_ENGAGEMENTS: dict[str, EngagementKind] = {
    "engagements_last_meeting_booked": "meeting_booked",
    "hs_sales_email_last_replied": "email_reply",
    Prop.CONNECTED_CALL_AT: "call_logged",
}


LeadMove = Literal["accept", "qualified", "disqualified"]
StageId = Annotated[str, Field(min_length=1)]
Tier = Literal["A", "B", "C"]
_DEFAULT_LABELS: dict[Tier, str] = {"A": "HOT", "B": "WARM", "C": "COLD"}
_DEFAULT_MOVES: dict[str, LeadMove] = {
    "attempting-stage-id": "accept",
    "connected-stage-id": "accept",
    "qualified-stage-id": "qualified",
    "unqualified-stage-id": "disqualified",
}


class LeadsConfig(Strict):
    """The HubSpot Leads of teams whose handoff lives on a lead: where they go, and what a rep's move
    of a lead to a stage means (HubSpot's default lead pipeline and stage ids by default)."""

    pipeline: StageId = "lead-pipeline-id"
    stage: StageId = Field(default="new-stage-id", description="the stage a new lead starts in")
    qualified_stage: StageId = Field(default="qualified-stage-id", description="where an SQL's lead goes")
    disqualified_stage: StageId = Field(
        default="unqualified-stage-id", description="where a recycled or rejected lead goes"
    )
    labels: dict[Tier, str] = Field(
        default_factory=lambda: dict(_DEFAULT_LABELS),
        description="the lead label (hs_lead_label) for each ICP tier",
    )
    moves: dict[StageId, LeadMove] = Field(
        default_factory=lambda: dict(_DEFAULT_MOVES),
        description=(
            "lead stage -> what moving a lead there means: accept (the rep took it), qualified (the SQL "
            "engagement), disqualified (recycle or reject, by the lead's leadflow_decision_reason)"
        ),
    )

    def label(self, tier: str | None) -> str | None:
        """The lead label of an ICP tier (None: no tier, or no label for it)."""
        return next((label for t, label in self.labels.items() if t == tier), None)

    @model_validator(mode="after")
    def _ends_are_moves(self) -> LeadsConfig:
        for key, stage, meaning in (
            ("qualified_stage", self.qualified_stage, "qualified"),
            ("disqualified_stage", self.disqualified_stage, "disqualified"),
        ):
            if self.moves.get(stage) != meaning:
                raise ValueError(f"{key} {stage!r} must be a move that means {meaning}")
        return self


class JourneyConfig(Strict):
    """The lead's life after the handoff: recycling, deals, leads, and which engagements count."""

    recycle: RecycleConfig = RecycleConfig()
    deal: DealConfig = DealConfig()
    sal_stage: Annotated[str, Field(min_length=1)] | None = Field(
        default=None,
        description=(
            "internal value of a custom lifecycle stage between MQL and SQL that accepted leads move to; "
            "unset, an accepted lead keeps the MQL stage and only its lead status changes"
        ),
    )
    engagements: dict[str, EngagementKind] = Field(
        default_factory=lambda: dict(DEFAULT_ENGAGEMENTS),
        description="contact property HubSpot stamps -> the engagement it means",
    )
    leads: LeadsConfig = LeadsConfig()

    @property
    def engagement_properties(self) -> frozenset[str]:
        """The contact properties whose changes are sales engagements."""
        return frozenset(self.engagements)


class WorkflowsConfig(Strict):
    """How HubSpot workflows reach leadflow: the "Send a webhook" action and leadflow's own actions."""

    api_key_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = Field(
        default="X-Leadflow-Key",
        description=(
            "the header or query parameter a 'Send a webhook' action authenticated by API key puts "
            "the key in (the key itself is the stack's WorkflowApiKey)"
        ),
    )
    handoff_days: Annotated[float, Field(gt=0, le=365)] | None = Field(
        default=None,
        description=(
            "how long a workflow waits on 'Hand off with leadflow' before going on without an outcome; "
            "unset: the longest a journey can take under this configuration"
        ),
    )


SignatureVersion = Literal["v1", "v2", "v3"]


class SignaturesConfig(Strict):
    """The oldest HubSpot request signature each endpoint accepts.

    v3 signs the method, the URL, the body and a timestamp, and leadflow refuses it after five
    minutes; v2 signs the method, the URL and the body, but has no timestamp, so a captured request
    can be sent again; v1 signs only the body, so it can be replayed to any endpoint. HubSpot sends
    v3 with app webhooks, keeping v1 beside it for older apps, and documents v2 for workflow webhooks
    and custom workflow actions, adding v3 where it can
    (https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/request-validation).
    """

    webhooks: SignatureVersion = Field(
        default="v3", description="POST /webhooks/hubspot, the app's webhook subscriptions"
    )
    workflow_webhook: SignatureVersion = Field(
        default="v2", description="POST /workflows/webhook, a workflow's 'Send a webhook' action"
    )
    workflow_actions: SignatureVersion = Field(
        default="v2", description="POST /workflows/actions/*, leadflow's custom workflow actions"
    )


class LeadflowConfig(Strict):
    """The whole configuration file."""

    version: Literal[1] = 1
    scoring: ScoringConfig
    routing: RoutingConfig
    sla: SlaConfig = SlaConfig()
    journey: JourneyConfig = JourneyConfig()
    workflows: WorkflowsConfig = WorkflowsConfig()
    portal: PortalConfig = PortalConfig()
    signatures: SignaturesConfig = SignaturesConfig()

    @property
    def longest_journey_days(self) -> float:
        """The most days a journey can take: the SLA and its escalation ladder in the slowest team's
        business hours, the fallback owner's days, then the longest qualification window."""
        hours = self.sla.decision_hours + sum(step.hours for step in self.sla.escalation)
        teams = self.routing.teams.values()
        ladder = max(team.calendar.most_days_for(hours) if team.calendar else hours / 24 for team in teams)
        return ladder + self.sla.fallback_days + max(team.qualification_days for team in teams)

    @model_validator(mode="after")
    def _fits_an_execution(self) -> LeadflowConfig:
        longest = self.longest_journey_days
        if longest > MAX_JOURNEY_DAYS:
            raise ValueError(
                f"a journey could take {math.ceil(longest)} days (the SLA ladder, sla.fallback_days and "
                f"the longest routing.teams.*.qualification_days), more than the {MAX_JOURNEY_DAYS} days a "
                "journey may take: Step Functions ends an execution after a year, and retries and repairs "
                "need the rest"
            )
        return self

    @model_validator(mode="after")
    def _fast_track_defined(self) -> LeadflowConfig:
        fast = [name for name, team in self.routing.teams.items() if team.sql_policy == "fast_track"]
        if fast and self.scoring.fast_track is None:
            raise ValueError(
                f"routing.teams.{fast[0]}.sql_policy is fast_track, but scoring.fast_track does not say "
                "which leads are fast-tracked"
            )
        return self

    def deal_for(self, team: str) -> DealConfig:
        """Where a team's SQL deals go: the team's `deal`, completed by `journey.deal`."""
        override = self.routing.teams[team].deal
        if override is None:
            return self.journey.deal
        return self.journey.deal.model_copy(update=override.model_dump(include=override.model_fields_set))

    @property
    def contact_properties(self) -> frozenset[str]:
        """Every contact property the lead intake reads: what it scores and acts on, the handoff
        packet it compares before writing, the MQL gates, what routing reads (handed to the journey
        it starts), and the ids merged into the contact."""
        read = frozenset(self.subscribed_properties) | frozenset(PACKET) | frozenset(GATES)
        return read | self.routing.contact_properties | {Prop.MERGED_IDS}

    @property
    def uses_leads(self) -> bool:
        """Whether any team hands off on HubSpot Leads."""
        return any(team.handoff == "lead" for team in self.routing.teams.values())

    @property
    def subscribed_properties(self) -> list[str]:
        """The contact properties whose changes the HubSpot app must subscribe to."""
        scored = {p for p in self.scoring.properties if not p.startswith("company.")}
        return sorted(scored | {Prop.DECISION, Prop.DECISION_REASON} | self.journey.engagement_properties)


def parse_config(data: object, source: str = "configuration") -> LeadflowConfig:
    """Validate already-parsed YAML/JSON data, raising ConfigError naming each bad field."""
    try:
        return LeadflowConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(config_errors.problems(exc, data, LeadflowConfig))
        raise ConfigError(f"{source} is invalid: {problems}") from None


def load_config(path: str | Path) -> LeadflowConfig:
    """Read and validate a configuration file, raising ConfigError on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    return parse_config(data, source=str(path))
