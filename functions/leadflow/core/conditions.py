"""Conditions on one value, as RevOps writes them in the configuration, and their compiled tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

Test = Callable[[str | None], bool]


class Condition(BaseModel):
    """Exactly one test on a value: equals, in, not_in, contains(_any), gte, lte, present, domain_in."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    equals: str | None = None
    one_of: Annotated[list[str], Field(min_length=1)] | None = Field(default=None, alias="in")
    not_in: Annotated[list[str], Field(min_length=1)] | None = None
    contains: Annotated[str, Field(min_length=1)] | None = None
    contains_any: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] | None = None
    gte: float | None = None
    lte: float | None = None
    present: bool | None = None
    domain_in: Annotated[list[str], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        set_fields = [name for name in _CONDITIONS if getattr(self, name) is not None]
        if len(set_fields) != 1:
            names = ", ".join(_key(n) for n in _CONDITIONS)
            has = " and ".join(_key(n) for n in set_fields) or "none"
            raise ValueError(f"needs exactly one condition among {names} (it has {has})")
        return self

    def compile(self) -> Test:
        """A fast predicate for this condition (values compared case-insensitively)."""
        return _compile(self)


def _key(field: str) -> str:
    """A condition's key as the file writes it."""
    return "in" if field == "one_of" else field


_CONDITIONS = ("equals", "one_of", "not_in", "contains", "contains_any", "gte", "lte", "present", "domain_in")


def _bounds(value: str) -> tuple[float, float] | None:
    """A number as (n, n); a HubSpot range option as (low, high): "100-500", "1000+", "1,000-5,000".

    HubSpot keeps some sizes as dropdown ranges (the contact's `numemployees`), so numeric
    conditions must read those too: a range meets `gte` when its low end does, and `lte`
    when its high end does, i.e. only when every value in it would.
    """
    text = value.replace(",", "").replace(" ", "")
    try:
        if text.endswith("+"):
            return float(text[:-1]), float("inf")
        low, sep, high = text.partition("-")
        if sep and low:
            return float(low), float(high)
        number = float(text)
    except ValueError:
        return None
    return number, number


def _domain(value: str) -> str:
    return value.rpartition("@")[2].strip().casefold()


def _compile(c: Condition) -> Test:
    if c.present is not None:
        wanted = c.present
        return lambda v: bool(v) is wanted
    if c.not_in is not None:
        # A missing value is "not in" the list, which is what unserved-geography rules need.
        banned = frozenset(x.casefold() for x in c.not_in)
        return lambda v: not v or v.casefold() not in banned
    if c.equals is not None:
        expected = c.equals.casefold()
        return lambda v: v is not None and v.casefold() == expected
    if c.one_of is not None:
        allowed = frozenset(x.casefold() for x in c.one_of)
        return lambda v: v is not None and v.casefold() in allowed
    if c.contains is not None:
        needle = c.contains.casefold()
        return lambda v: v is not None and needle in v.casefold()
    if c.contains_any is not None:
        needles = tuple(x.casefold() for x in c.contains_any)
        return lambda v: v is not None and any(n in v.casefold() for n in needles)
    if c.gte is not None:
        low = c.gte
        return lambda v: v is not None and (b := _bounds(v)) is not None and b[0] >= low
    if c.lte is not None:
        high = c.lte
        return lambda v: v is not None and (b := _bounds(v)) is not None and b[1] <= high
    domains = frozenset(d.casefold().lstrip("@") for d in c.domain_in or ())
    return lambda v: v is not None and _domain(v) in domains
