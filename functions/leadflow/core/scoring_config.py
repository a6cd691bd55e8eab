"""The MQL definition in the configuration file: fit, intent, negatives, disqualifiers, decay, gates."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadflow.core.conditions import Condition

Name = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
PropertyName = Annotated[str, Field(min_length=1, pattern=r"^(company\.)?[a-z0-9_]+$")]


class Strict(BaseModel):
    """A configuration section: unknown keys are errors, values never change after load."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def repeated(names: list[str]) -> list[str]:
    """The names that occur more than once, sorted (for "must be unique" errors)."""
    return sorted({n for n in names if names.count(n) > 1})


class PropertyRule(Condition):
    """Points when a contact (or `company.`) property meets the condition."""

    name: Name
    property: PropertyName
    points: int
    evidence: Annotated[str, Field(max_length=200)] = Field(
        default="", description="Readable text for the rep; {value} is replaced by the property value."
    )


class SignalRule(Strict):
    """Points when the contact has at least `min_count` signals of a type matching `where`."""

    name: Name
    signal: Annotated[str, Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")]
    where: dict[str, Condition] = Field(default_factory=dict, description="attribute -> condition")
    min_count: Annotated[int, Field(ge=1, le=1000)] = 1
    points: int
    evidence: Annotated[str, Field(max_length=200)] = Field(
        default="",
        description="Readable text: {count}, {last} (date), {evidence} (newest signal text) are replaced.",
    )


class Disqualifier(Condition):
    """A property condition that rules a contact out, whatever its score."""

    name: Name
    property: PropertyName
    reason: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


class Persona(Condition):
    """A named persona, recognised from one property."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    property: PropertyName


class Decay(Strict):
    """How intent points lose weight with age: a half-life, or a hard window."""

    half_life_days: Annotated[float, Field(gt=0, le=3650)] | None = None
    window_days: Annotated[float, Field(gt=0, le=3650)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Decay:
        if (self.half_life_days is None) == (self.window_days is None):
            raise ValueError("set exactly one of half_life_days, window_days")
        return self


class Section(Strict):
    """A scored dimension (fit or intent): its rules and the threshold of its gate."""

    threshold: Annotated[int, Field(ge=0)]


class FitSection(Section):
    """Fit: firmographics and persona, from contact and company properties."""

    rules: Annotated[list[PropertyRule], Field(min_length=1)]


class IntentSection(Section):
    """Intent: behavioural signals, decayed with age."""

    rules: Annotated[list[SignalRule], Field(min_length=1)]


class Negative(Strict):
    """Negative scoring: property rules lower fit, signal rules lower intent."""

    properties: list[PropertyRule] = Field(default_factory=list)
    signals: list[SignalRule] = Field(default_factory=list)


class Tiers(Strict):
    """Fit score needed for ICP tier A and B (below B is C)."""

    a: Annotated[int, Field(alias="A")]
    b: Annotated[int, Field(alias="B")]

    @model_validator(mode="after")
    def _ordered(self) -> Tiers:
        if self.a < self.b:
            raise ValueError("tier A needs at least tier B's fit score")
        return self


class FastTrack(Strict):
    """High-intent, ICP-matched inbound: marked for direct SQL."""

    min_tier: Literal["A", "B", "C"] = "A"
    any_of: Annotated[list[Name], Field(min_length=1, description="intent rule names, one must match")]
    min_intent: Annotated[int, Field(ge=0)] = 0


class SignalProperty(Strict):
    """A HubSpot contact property whose changes are signals (e.g. a form name, a last URL)."""

    signal: Annotated[str, Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")]
    attribute: Annotated[str, Field(min_length=1)] = "value"
    at_property: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")] | None = Field(
        default=None, description="property holding when it happened (used for exports and new contacts)"
    )


class ScoringConfig(Strict):
    """The whole MQL definition."""

    fit: FitSection
    intent: IntentSection
    negative: Negative = Negative()
    disqualifiers: list[Disqualifier] = Field(default_factory=list)
    decay: Decay = Decay(half_life_days=30)
    recency_days: Annotated[float, Field(gt=0, le=3650)] = 30
    tiers: Tiers
    personas: list[Persona] = Field(default_factory=list)
    fast_track: FastTrack | None = None
    signal_properties: dict[str, SignalProperty] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ScoringConfig:
        names = [r.name for r in self.fit.rules] + [r.name for r in self.intent.rules]
        names += [r.name for r in self.negative.properties] + [r.name for r in self.negative.signals]
        names += [d.name for d in self.disqualifiers]
        twice = repeated(names)
        if twice:
            raise ValueError(f"rule names must be unique, repeated: {', '.join(twice)}")
        if self.fast_track:
            intent_names = {r.name for r in self.intent.rules}
            unknown = [n for n in self.fast_track.any_of if n not in intent_names]
            if unknown:
                raise ValueError(f"fast_track.any_of names unknown intent rules: {', '.join(unknown)}")
        return self

    @property
    def properties(self) -> frozenset[str]:
        """Every HubSpot property the definition reads (a change to one can change a score)."""
        rules: list[PropertyRule | Disqualifier | Persona] = [
            *self.fit.rules,
            *self.negative.properties,
            *self.disqualifiers,
            *self.personas,
        ]
        at = {s.at_property for s in self.signal_properties.values() if s.at_property}
        return frozenset(r.property for r in rules) | frozenset(self.signal_properties) | at

    @property
    def data_properties(self) -> frozenset[str]:
        """The contact's own data the definition reads (not signals, not its company's properties)."""
        rules: list[PropertyRule | Disqualifier | Persona] = [
            *self.fit.rules,
            *self.negative.properties,
            *self.disqualifiers,
            *self.personas,
        ]
        return frozenset(r.property for r in rules if not r.property.startswith("company."))

    @property
    def company_properties(self) -> frozenset[str]:
        """The company properties the definition reads (written `company.<name>` in rules)."""
        return frozenset(p.removeprefix("company.") for p in self.properties if p.startswith("company."))

    @property
    def rule_count(self) -> int:
        """How many rules the definition evaluates per contact."""
        return (
            len(self.fit.rules)
            + len(self.intent.rules)
            + len(self.negative.properties)
            + len(self.negative.signals)
            + len(self.disqualifiers)
            + len(self.personas)
        )
