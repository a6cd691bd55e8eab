"""The team's leadflow configuration: one YAML file, validated by pydantic.

A bad file fails at load with a message naming the field, so a RevOps edit cannot
reach production half-understood.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadflow.core.scoring_config import ScoringConfig


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoutingConfig(_Strict):
    """Who receives MQLs: a team rotated in round robin, and the queue owner of last resort."""

    team: Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9_-]*$")] = "sales"
    owners: Annotated[list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]], Field(min_length=1)]
    fallback_owner: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")]


class SlaConfig(_Strict):
    """How long a rep has to decide, and how many reassignments before the fallback queue."""

    decision_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 4
    max_escalations: Annotated[int, Field(ge=0, le=10)] = 2


class LeadflowConfig(_Strict):
    """The whole configuration file."""

    version: Literal[1] = 1
    scoring: ScoringConfig
    routing: RoutingConfig
    sla: SlaConfig = SlaConfig()


def parse_config(data: object, source: str = "configuration") -> LeadflowConfig:
    """Validate already-parsed YAML/JSON data, raising ConfigError naming each bad field."""
    try:
        return LeadflowConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}" for err in exc.errors()
        )
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
