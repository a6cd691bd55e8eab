"""The configuration file: the shipped one loads, bad ones fail naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from leadflow.core.config import ConfigError, load_config, parse_config
from leadflow.settings import DEFAULT_CONFIG_FILE


def minimal() -> dict[str, object]:
    return {
        "scoring": {
            "mql_threshold": 50,
            "rules": [{"name": "r", "property": "industry", "equals": "X", "points": 60}],
        },
        "routing": {"owners": ["a@example.com"], "fallback_owner": "q@example.com"},
    }


def test_the_shipped_configuration_loads() -> None:
    config = load_config(DEFAULT_CONFIG_FILE)
    assert config.scoring.mql_threshold > 0
    assert "industry" in config.scoring.properties


def test_defaults_fill_what_the_file_leaves_out() -> None:
    config = parse_config(minimal())
    assert config.sla.decision_hours == 4
    assert config.routing.team == "sales"


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda c: c["scoring"].update(mql_threshold=0), "scoring.mql_threshold"),
        (lambda c: c["scoring"]["rules"][0].update(points="many"), "scoring.rules.0.points"),
        (lambda c: c["scoring"]["rules"][0].update(contains="y"), "exactly one condition"),
        (lambda c: c["scoring"]["rules"][0].pop("equals"), "exactly one condition"),
        (lambda c: c["scoring"]["rules"].append(dict(c["scoring"]["rules"][0])), "repeated: r"),
        (lambda c: c["routing"].update(owners=["not-an-email"]), "routing.owners.0"),
        (lambda c: c["routing"].update(owners=[]), "routing.owners"),
        (lambda c: c.update(sla={"decision_hours": -1}), "sla.decision_hours"),
        (lambda c: c.update(slaa={}), "slaa: Extra inputs are not permitted"),
        (lambda c: c.pop("routing"), "routing: Field required"),
    ],
)
def test_invalid_configuration_fails_naming_the_field(mutate, named: str) -> None:  # type: ignore[no-untyped-def]
    data = minimal()
    mutate(data)
    with pytest.raises(ConfigError, match="is invalid") as caught:
        parse_config(data)
    assert named in str(caught.value)


def test_unreadable_and_malformed_files_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration file"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("scoring: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)


def test_a_file_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "leadflow.yaml"
    data = minimal()
    data["scoring"]["mql_threshold"] = -5  # type: ignore[index]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=str(path)):
        load_config(path)
