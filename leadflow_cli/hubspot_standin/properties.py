"""Property definitions and the values HubSpot takes for them, as strict as HubSpot.

Each write is checked against the portal's property definitions (`default_properties.json`:
HubSpot's defaults as real portals answer `GET /crm/v3/properties/<object>`, plus what the portal
added), and refused whole with HubSpot's 400 when any value is wrong, each problem in HubSpot's
format: `Property values were not valid: [{"isValid": false, "message": ..., "error": CODE,
"name": ...}]` (https://developers.hubspot.com/docs/api-reference/error-handling).

Where the rules come from:
- a property that does not exist: PROPERTY_DOESNT_EXIST, `Property "x" does not exist` (the error
  handling page's example);
- an enumeration value not among the options: INVALID_OPTION, `x was not one of the allowed
  options: [...]` (an observed HubSpot answer); "values can only include options that exactly match"
  (https://developers.hubspot.com/changelog/upcoming-increased-validation-for-contact-updates-made-
  through-apis); a multi-select (checkbox) takes `;`-separated options;
- numbers: "only numeric digits, an optional single negative sign ... and an optional single decimal
  point" (https://developers.hubspot.com/changelog/upcoming-api-number-value-changes);
- dates and datetimes: ISO 8601 (YYYY-MM-DD or a full timestamp) or epoch milliseconds; a date at
  midnight UTC only, else INVALID_DATE `... is at HH:MM:SS UTC, not midnight!` (observed); read back
  as ISO 8601 (https://developers.hubspot.com/docs/api-reference/crm-properties-v3/guide);
- a read-only value written through the API is refused: the CRM specs say "read-only and non-existent
  properties will result in an error". HubSpot documents neither that error's code nor the codes of
  a bad number, datetime or boolean; those codes here are the stand-in's own.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any, Final

_DEFAULTS_FILE: Final = Path(__file__).with_name("default_properties.json")
_NUMBER: Final = re.compile(r"^-?\d+(\.\d+)?$")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Properties HubSpot stamps on every record whatever the definitions list.
STAMPS: Final = frozenset({"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate"})


# The field types each property type takes (https://developers.hubspot.com/docs/api-reference/latest/crm/
# properties/guide, "Property type and fieldType values"); the specs list both enumerations but not which
# go together.
FIELD_TYPES: Final = {
    "bool": ("booleancheckbox", "calculation_equation"),
    "enumeration": ("booleancheckbox", "checkbox", "radio", "select", "calculation_equation"),
    "date": ("date",),
    "datetime": ("date",),
    "string": ("file", "text", "textarea", "calculation_equation", "html", "phonenumber"),
    "number": ("number", "calculation_equation"),
    "phone_number": ("phonenumber",),
}


def field_type_problem(type_: str, field_type: str) -> str | None:
    """Why a property of `type_` cannot have `field_type` (None: it can)."""
    allowed = FIELD_TYPES.get(type_)
    if allowed is None or field_type in allowed:
        return None
    return (
        f"fieldType {field_type} is not valid for a property of type {type_}: use one of {', '.join(allowed)}"
    )


class PropertyRefusal(Exception):
    """Some values were not valid; `problems` in HubSpot's format."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__("Property values were not valid: " + json.dumps(problems))
        self.problems = problems


@cache
def _defaults() -> dict[str, dict[str, dict[str, Any]]]:
    data: dict[str, Any] = json.loads(_DEFAULTS_FILE.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def default_properties(object_type: str) -> dict[str, dict[str, Any]]:
    """HubSpot's default properties of an object type by name: type, fieldType, option values and
    whether the API may write them (fresh copies)."""
    return {name: dict(spec) for name, spec in _defaults().get(object_type, {}).items()}


def problem(name: str, code: str, message: str) -> dict[str, Any]:
    """One refused value, as HubSpot lists it."""
    return {
        "isValid": False,
        "message": message,
        "error": code,
        "name": name,
        "localizedErrorMessage": message,
    }


def not_an_option(name: str, value: str, options: list[str]) -> dict[str, Any]:
    """A value that is none of an enumeration's options."""
    return problem(name, "INVALID_OPTION", _not_an_option_text(value, options))


def _not_an_option_text(value: str, options: list[str]) -> str:
    return f"{value} was not one of the allowed options: [{', '.join(options)}]"


def option_list(values: list[str] | tuple[str, ...]) -> list[dict[str, Any]]:
    """An enumeration's options as a definition lists them."""
    return [{"label": v, "value": v, "displayOrder": n, "hidden": False} for n, v in enumerate(values)]


def checked_values(
    definitions: dict[str, dict[str, Any]], values: dict[str, str], *, api: bool
) -> dict[str, str]:
    """The values as HubSpot stores them; PropertyRefusal listing every problem when any is wrong.

    `api`: the write comes through the API (HubSpot itself, and a rep in the UI, may set read-only
    values such as a booked meeting's date; an integration may not). An empty value clears.
    """
    problems: list[dict[str, Any]] = []
    stored: dict[str, str] = {}
    for name, value in values.items():
        definition = definitions.get(name)
        if definition is None:
            if name not in STAMPS:
                problems.append(problem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist'))
            continue
        if api and _read_only(definition):
            problems.append(problem(name, "READ_ONLY_VALUE", f'Property "{name}" is a read only property'))
            continue
        try:
            stored[name] = value and _stored(definition, value)
        except ValueError as exc:
            code, message = exc.args
            problems.append(problem(name, code, message))
    if problems:
        raise PropertyRefusal(problems)
    return stored


def _read_only(definition: dict[str, Any]) -> bool:
    return bool(definition.get("modificationMetadata", {}).get("readOnlyValue"))


def _stored(definition: dict[str, Any], value: str) -> str:
    kind = definition.get("type")
    if kind == "enumeration":
        return _option(definition, value)
    if kind == "number":
        if not _NUMBER.match(value.strip()):
            raise ValueError("INVALID_NUMBER", f"{value} was not a valid number.")
        return value.strip()
    if kind == "bool":
        if value.lower() not in ("true", "false"):
            raise ValueError("INVALID_BOOLEAN", f"{value} was not a valid boolean.")
        return value.lower()
    if kind in ("date", "datetime"):
        return _moment(value, date_only=kind == "date")
    return value


def _option(definition: dict[str, Any], value: str) -> str:
    options = [str(o["value"]) if isinstance(o, dict) else str(o) for o in definition.get("options") or []]
    if not options:
        return value  # options that are records (owners, pipelines, stages) are checked elsewhere
    chosen = value.split(";") if definition.get("fieldType") == "checkbox" else [value]
    for option in chosen:
        if option not in options:
            raise ValueError("INVALID_OPTION", _not_an_option_text(option, options))
    return value


def _moment(value: str, date_only: bool) -> str:
    text = value.strip()
    try:
        if text.isdigit():
            moment = datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        elif _DATE.match(text):
            moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(
            "INVALID_DATE" if date_only else "INVALID_DATETIME", f"{value} is not a valid date"
        ) from None
    if date_only:
        if moment.time() != datetime.min.time():
            raise ValueError("INVALID_DATE", f"{value} is at {moment:%H:%M:%S} UTC, not midnight!")
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
