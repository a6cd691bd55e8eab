"""HubSpot's published OpenAPI specs of every route the stand-in serves, and what they say of a request or
an answer.

The specs (`specs/`) are HubSpot's own (github.com/HubSpot/HubSpot-public-api-spec-collection), cut down to
the operations the stand-in serves by `scripts/vendor_hubspot_specs.py`; `specs/manifest.json` names the
commit and each source file. The stand-in refuses a request its operation's schemas refuse, and the contract
tier (tests/contracts/test_hubspot_specs.py) checks every answer against the operation's response schema.

Where HubSpot's documentation or its observed answers disagree with a spec, HubSpot's behaviour wins: the
spec is patched here (`OBSERVED`), each patch naming its source, and both the stand-in and the contract tier
read the patched specs. Schemas are OpenAPI 3.0's dialect (`nullable`, `format: int32`...), validated by
openapi-schema-validator, the jsonschema extension for it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final

from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30ReadValidator, OAS30WriteValidator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SPECS_DIR: Final = Path(__file__).with_name("specs")
LEGACY: Final = "legacy"
_METHODS: Final = ("get", "put", "post", "patch", "delete")
_INT32: Final = range(-(2**31), 2**31)


@dataclass(frozen=True)
class Deviation:
    """Where HubSpot behaves otherwise than its spec says: the value at `pointer` (a JSON pointer into each
    vendored spec whose file name starts with one of `files` and has that place) is `value`, as `source`
    shows."""

    files: tuple[str, ...]
    pointer: str
    value: Any
    source: str


_OBJECTS: Final = ("crm-objects-", "crm-contacts-")
_ASSOCIATIONS: Final = ("crm-associations-",)
_NULLABLE_STRING: Final = {"type": "string", "nullable": True}
_NULLABLE_VALUES: Final = (
    "HubSpot's 2026-09 spec of the same service marks property values nullable, and HubSpot answers null for "
    "a requested property the record has no value of"
)

# Every place the stand-in follows HubSpot's behaviour over its spec. Each is HubSpot's documented or
# observed behaviour; the rules that are documented but not in the specs (search limits, batch sizes, the
# 429 body) are in server.py, with their sources.
OBSERVED: Final[tuple[Deviation, ...]] = (
    *(
        Deviation(
            _OBJECTS,
            f"/components/schemas/{schema}/properties/properties/additionalProperties",
            _NULLABLE_STRING,
            _NULLABLE_VALUES,
        )
        for schema in ("SimplePublicObject", "SimplePublicObjectWithAssociations")
    ),
    *(
        Deviation(
            _OBJECTS,
            f"/components/schemas/{schema}/required",
            ["properties"],
            "`associations` is optional on create: HubSpot's guides create records with `properties` alone "
            "(https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/guide, create "
            "contacts), and hubspot-api-client 12's create inputs require only `properties`",
        )
        for schema in ("SimplePublicObjectInputForCreate", "SimplePublicObjectBatchInputForCreate")
    ),
    Deviation(
        _OBJECTS,
        "/components/schemas/PublicObjectSearchRequest/required",
        [],
        "every member of a search is optional: the search guide's requests carry `filterGroups` alone "
        "(https://developers.hubspot.com/docs/api-reference/latest/crm/search/guide), and "
        "hubspot-api-client 12's PublicObjectSearchRequest requires none",
    ),
    Deviation(
        _ASSOCIATIONS,
        "/components/schemas/MultiAssociatedObjectWithLabel/properties/toObjectId",
        {"type": "integer", "format": "int64"},
        "HubSpot answers `toObjectId` as a number: the associations guide's answers "
        "(https://developers.hubspot.com/docs/api-reference/legacy/crm/associations/v4/guide, retrieve "
        'associated records: "toObjectId": 5790939450) and github.com/HubSpot/hubspot-api-nodejs/issues/552 '
        '("the api calls still return numbers")',
    ),
    Deviation(
        _ASSOCIATIONS,
        "/components/schemas/AssociationSpecWithLabel/properties/label",
        _NULLABLE_STRING,
        "the unlabeled association type is always answered with a null `label` "
        "(https://developers.hubspot.com/docs/api-reference/latest/crm/associations/associations-schema/"
        "guide, HubSpot-defined associations)",
    ),
    *(
        Deviation(
            ("automation-actions-v4",),
            f"/components/schemas/{schema}/required",
            required,
            "the v4 completion takes `outputFields` alone: the custom workflow actions guide completes a "
            'callback with {"outputFields": {"hs_execution_state": "SUCCESS"}} '
            "(https://developers.hubspot.com/docs/api/automation/custom-workflow-actions), and "
            "hubspot-api-client 12's CallbackCompletionRequest requires only `output_fields`",
        )
        for schema, required in (
            ("CallbackCompletionRequest", ["outputFields"]),
            ("CallbackCompletionBatchRequest", ["callbackId", "outputFields"]),
        )
    ),
    *(
        Deviation(
            ("automation-actions-v4",),
            f"/components/schemas/{schema}/required",
            required,
            "the custom workflow actions guide defines actions whose fields' `typeDefinition` has `name`, "
            "`type` and `fieldType` (options, each a label and a value, only for enumerations) and no "
            "`functions` "
            "(https://developers.hubspot.com/docs/api/automation/custom-workflow-actions, define your "
            "custom action)",
        )
        for schema, required in (
            ("PublicFieldTypeDefinition", ["name", "type"]),
            ("FieldTypeDefinition", ["name", "type"]),
            # An output field's option as an input field's (PublicOption, in the same spec): label and value.
            ("Option", ["label", "value"]),
            ("PublicActionDefinitionEgg", ["actionUrl", "inputFields", "labels", "objectTypes", "published"]),
        )
    ),
)


@dataclass(frozen=True)
class Problem:
    """One thing a spec refuses in a request: where (`body.properties.x`, `query limit`) and what."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}" if self.where else self.what


@dataclass(frozen=True)
class Operation:
    """One operation of a vendored spec."""

    file: str
    version: str
    method: str
    template: str
    spec: Mapping[str, Any]

    @property
    def name(self) -> str:
        """`METHOD template`, as the manifest lists it."""
        return f"{self.method} {self.template}"

    def request_ref(self) -> str | None:
        """The $ref of the request body's schema (None: the operation takes no body)."""
        content = (self.spec.get("requestBody") or {}).get("content") or {}
        schema = (content.get("application/json") or {}).get("schema") or {}
        return schema.get("$ref")

    def response(self, status: int) -> tuple[str, Mapping[str, Any] | None]:
        """The response the spec gives for a status (its own, else `default`): its key, and its schema
        (None: no content)."""
        responses = self.spec["responses"]
        key = str(status) if str(status) in responses else "default"
        if key not in responses:
            return key, None
        answer = responses[key]
        if "$ref" in answer:
            answer = _resolve(_specs().documents[self.file], answer["$ref"])
        content = answer.get("content") or {}
        media: Mapping[str, Any] = next(iter(content.values()), {})
        return key, media.get("schema")

    def parameters(self, where: str) -> list[Mapping[str, Any]]:
        """The operation's parameters in the path or the query."""
        return [p for p in self.spec.get("parameters") or [] if p.get("in") == where]


def _resolve(document: Mapping[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _patched(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """A spec with the deviations that apply to it."""
    for deviation in OBSERVED:
        if not name.startswith(deviation.files):
            continue
        parent_path, _, key = deviation.pointer.rpartition("/")
        try:
            parent = _resolve(document, "#" + parent_path)
        except KeyError:
            continue
        if isinstance(parent, dict) and (key in parent or key == "required"):
            parent[key] = copy.deepcopy(deviation.value)
    return document


class Specs:
    """The vendored specs, patched with what HubSpot does, indexed by route."""

    def __init__(self, directory: Path = SPECS_DIR) -> None:
        self.manifest: dict[str, Any] = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        self.documents: dict[str, dict[str, Any]] = {}
        self.operations: list[Operation] = []
        for name in self.manifest["files"]:
            document = _patched(name, json.loads((directory / name).read_text(encoding="utf-8")))
            self.documents[name] = document
            version = _version_of(name)
            for template, item in document["paths"].items():
                for method in _METHODS:
                    if method in item:
                        self.operations.append(
                            Operation(name, version, method.upper(), template, item[method])
                        )
        self._registry: Registry[Any] = Registry().with_resources(
            (_uri(name), Resource.from_contents(doc, default_specification=DRAFT4))
            for name, doc in self.documents.items()
        )
        self._validators: dict[tuple[str, str, bool], Any] = {}

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation a request names; a literal segment beats a path parameter, as OpenAPI matches."""
        segments = [s for s in path.split("/") if s]
        best: tuple[int, Operation] | None = None
        for operation in self.operations:
            if operation.method != method.upper():
                continue
            template = [s for s in operation.template.split("/") if s]
            if len(template) != len(segments):
                continue
            literal = 0
            for want, got in zip(template, segments, strict=True):
                if want.startswith("{"):
                    continue
                if want != got:
                    break
                literal += 1
            else:
                if best is None or literal > best[0]:
                    best = (literal, operation)
        return best[1] if best else None

    def path_arguments(self, operation: Operation, path: str) -> dict[str, str]:
        """The path parameters of a request, by name."""
        template = [s for s in operation.template.split("/") if s]
        segments = [s for s in path.split("/") if s]
        return {t[1:-1]: s for t, s in zip(template, segments, strict=True) if t.startswith("{")}

    def _validator(self, file: str, schema: Mapping[str, Any], answer: bool) -> Any:
        ref = schema.get("$ref")
        key = (file, json.dumps(schema, sort_keys=True) if ref is None else ref, answer)
        if key not in self._validators:
            rooted = {"$ref": _uri(file) + ref} if ref else {**schema}
            kind = OAS30ReadValidator if answer else OAS30WriteValidator
            self._validators[key] = kind(rooted, registry=self._registry, format_checker=oas30_format_checker)
        return self._validators[key]

    def request_problems(
        self, operation: Operation, path: str, query: Mapping[str, list[str]], body: Any, has_body: bool
    ) -> list[Problem]:
        """What the spec refuses in a request: its path and query parameters, and its JSON body."""
        arguments = {k: [v] for k, v in self.path_arguments(operation, path).items()}
        problems = [
            *self._parameter_problems(operation, "path", arguments),
            *self._parameter_problems(operation, "query", query),
        ]
        ref = operation.request_ref()
        if ref is None:
            return problems
        if not has_body:
            return [*problems, Problem("body", "the request has no JSON body")]
        validator = self._validator(operation.file, {"$ref": ref}, answer=False)
        return problems + _problems("body", validator.iter_errors(body))

    def _parameter_problems(
        self, operation: Operation, where: str, given: Mapping[str, list[str]]
    ) -> list[Problem]:
        problems = []
        for parameter in operation.parameters(where):
            name, schema = parameter["name"], parameter.get("schema") or {}
            values = given.get(name) or []
            if not values:
                if parameter.get("required"):
                    problems.append(Problem(f"{where} {name}", "is required"))
                continue
            for value in values:
                what = _parameter_problem(schema, value)
                if what:
                    problems.append(Problem(f"{where} {name}", what))
        return problems

    def response_problems(self, operation: Operation, status: int, body: Any) -> list[str]:
        """What the spec refuses in an answer: a body where it gives none, none where it gives one, or a body
        its schema for that status (else its `default`) refuses."""
        key, schema = operation.response(status)
        if schema is None:
            return [] if body is None else [f"{status}: the spec's {key} answer has no body, but one came"]
        if body is None:
            return [f"{status}: the spec's {key} answer has a body, but none came"]
        validator = self._validator(operation.file, schema, answer=True)
        return [f"{status} ({key}): {p}" for p in _problems("body", validator.iter_errors(body))]


def _version_of(name: str) -> str:
    """The API version of a vendored file (`crm-objects-2026-09.json`; v3 and v4 are `legacy`)."""
    found = re.search(r"-(v\d|\d{4}-\d{2})\.json$", name)
    if found is None:
        raise ValueError(f"{name} names no API version")
    return LEGACY if found.group(1).startswith("v") else found.group(1)


def _uri(name: str) -> str:
    return f"urn:hubspot-spec:{name}"


def _parameter_problem(schema: Mapping[str, Any], value: str) -> str | None:
    """What a query or path value breaks of its schema (OpenAPI's simple and form styles: text)."""
    kind = schema.get("type")
    items = schema.get("items") or {}
    if kind == "array":
        return next(filter(None, (_parameter_problem(items, v) for v in value.split(",") if v)), None)
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", value):
            return f"{value!r} is not an integer"
        if schema.get("format") == "int32" and int(value) not in _INT32:
            return f"{value} is out of the int32 range"
    # In any case: HubSpot's own Python client sends Python's spelling (`archived=False`).
    if kind == "boolean" and value.lower() not in ("true", "false"):
        return f"{value!r} is not a boolean (true or false)"
    if "enum" in schema and value not in schema["enum"]:
        return f"{value!r} is not one of {', '.join(map(str, schema['enum']))}"
    return None


_JSON_KINDS: Final = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}
_SCHEMA_KINDS: Final = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
}


def _problems(root: str, errors: Iterable[ValidationError]) -> list[Problem]:
    """One problem per place, in the order of the body: the first error there says it best (a wrong type
    makes its `nullable` error too)."""
    found: dict[str, Problem] = {}
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        where = ".".join([root, *(str(p) for p in error.absolute_path)])
        found.setdefault(where, Problem(where, _describe(error)))
    return list(found.values())


def _describe(error: ValidationError) -> str:
    kind = _JSON_KINDS.get(type(error.instance), "a value")
    if error.validator == "type":
        return f"must be {_SCHEMA_KINDS.get(str(error.validator_value), error.validator_value)}, not {kind}"
    if error.validator == "nullable":
        return "must not be null"
    if error.validator == "required":
        missing = [n for n in error.validator_value if n not in (error.instance or {})]
        return f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required"
    if error.validator == "enum":
        return f"{json.dumps(error.instance)} is not one of {', '.join(map(str, error.validator_value))}"
    return str(error.message)


@cache
def _specs() -> Specs:
    return Specs()


def specs() -> Specs:
    """The vendored specs, loaded once per process."""
    return _specs()
