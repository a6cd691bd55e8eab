"""Vendor the parts of HubSpot's published OpenAPI specs that the stand-in serves.

HubSpot publishes its specs at github.com/HubSpot/HubSpot-public-api-spec-collection. This script reads
a local clone of that repository (a bare git directory is enough), keeps of each spec file only the
operations below (with every component they reference, so each file is still a complete OpenAPI
document) and writes them to leadflow_cli/hubspot_standin/specs/ with a manifest naming the
repository, the commit and each source file's blob, so anyone can check them against HubSpot's:

    python scripts/vendor_hubspot_specs.py /path/to/HubSpot-public-api-spec-collection[.git]

Moving to a newer snapshot is running it again on a newer clone and reading the diff.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

ROOT = Path(__file__).resolve().parent.parent
TARGET: Final = ROOT / "leadflow_cli" / "hubspot_standin" / "specs"
REPOSITORY: Final = "https://github.com/HubSpot/HubSpot-public-api-spec-collection"

_OBJECTS = ("GET", "POST", "POST batch/read", "POST batch/update", "POST batch/create", "POST search")
_RECORD = ("GET {objectId}", "PATCH {objectId}", "DELETE {objectId}")
_PROPERTIES = (
    "GET",
    "POST",
    "GET groups",
    "POST groups",
    "GET groups/{groupName}",
    "GET {propertyName}",
    "PATCH {propertyName}",
)


def _ops(base: str, *relative: str) -> tuple[str, ...]:
    """`METHOD path` of each operation, its path relative to `base`."""
    found = []
    for item in relative:
        method, _, rest = item.partition(" ")
        found.append(f"{method} {base}/{rest}".rstrip("/"))
    return tuple(found)


def _sources(version: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """The spec files of one API version: vendored name -> (source path, operations kept)."""
    legacy = version in ("v3", "v4")
    crm = "PublicApiSpecs/CRM"
    objects = "/crm/v3/objects/{objectType}" if legacy else f"/crm/objects/{version}/{{objectType}}"
    merge = (
        "/crm/v3/objects/contacts/merge"
        if legacy
        else "/crm/objects/2026-03/contacts/merge"
        if version == "2026-03"
        else f"/crm/objects/{version}/{{objectType}}/merge"
    )
    assoc_objects = "/crm/v4/objects" if legacy else f"/crm/objects/{version}"
    associations = "/crm/v4/associations" if legacy else f"/crm/associations/{version}"
    owners = "/crm/v3/owners" if legacy else f"/crm/owners/{version}"
    pipelines = "/crm/v3/pipelines" if legacy else f"/crm/pipelines/{version}"
    properties = "/crm/v3/properties" if legacy else f"/crm/properties/{version}"
    callbacks = "/automation/v4/actions/callbacks" if legacy else f"/automation/actions/callbacks/{version}"
    crm_version, assoc_version = ("v3", "v4") if legacy else (version, version)
    listing = (f"GET {assoc_objects}/{{objectType}}/{{objectId}}/associations/{{toObjectType}}",)
    definitions = (
        (
            *_ops("/automation/v4/actions/{appId}", "GET", "POST", "GET {definitionId}"),
            "PATCH /automation/v4/actions/{appId}/{definitionId}",
        )
        if legacy
        else ()
    )
    return {
        f"crm-objects-{crm_version}.json": (
            f"{crm}/Objects/Rollouts/424/{crm_version}/objects.json",
            _ops(objects, *_OBJECTS, *_RECORD),
        ),
        f"crm-contacts-{crm_version}.json": (
            f"{crm}/Contacts/Rollouts/424/{crm_version}/contacts.json",
            (f"POST {merge}",),
        ),
        f"crm-associations-{assoc_version}.json": (
            f"{crm}/Associations/Rollouts/130902/{assoc_version}/associations.json",
            (
                f"PUT {assoc_objects}/{{fromObjectType}}/{{fromObjectId}}/associations/default/"
                "{toObjectType}/{toObjectId}",
                f"POST {associations}/{{fromObjectType}}/{{toObjectType}}/batch/read",
                *(listing if version != "2026-09" else ()),
            ),
        ),
        f"crm-owners-{crm_version}.json": (
            f"{crm}/Crm Owners/Rollouts/146888/{crm_version}/crmOwners.json",
            (f"GET {owners}", f"GET {owners}/{{ownerId}}"),
        ),
        f"crm-pipelines-{crm_version}.json": (
            f"{crm}/Pipelines/Rollouts/145896/{crm_version}/pipelines.json",
            (f"GET {pipelines}/{{objectType}}",),
        ),
        f"crm-properties-{crm_version}.json": (
            f"{crm}/Properties/Rollouts/145899/{crm_version}/properties.json",
            _ops(f"{properties}/{{objectType}}", *_PROPERTIES),
        ),
        f"automation-actions-{assoc_version}.json": (
            f"PublicApiSpecs/Automation/Actions V4/Rollouts/148901/{assoc_version}/actionsV4.json",
            (
                f"POST {callbacks}/{{callbackId}}/complete",
                f"POST {callbacks}/complete",
                *definitions,
            ),
        ),
    }


SOURCES: Final = {
    name: src for version in ("v4", "2026-03", "2026-09") for name, src in _sources(version).items()
}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(  # noqa: S603 - git with our own arguments
        ["git", f"--git-dir={repo}", *args],  # noqa: S607 - git from PATH, a developer tool
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def _refs(node: Any) -> set[str]:
    """Every local $ref under a node (`#/components/...`)."""
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for k, v in node.items() if k != "$ref"))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def trimmed(spec: dict[str, Any], operations: tuple[str, ...]) -> dict[str, Any]:
    """The spec with only `operations` (`METHOD path`) and the components they reach."""
    paths: dict[str, Any] = {}
    for operation in operations:
        method, path = operation.split(" ", 1)
        item = spec["paths"].get(path, {}).get(method.lower())
        if item is None:
            raise SystemExit(f"{operation} is not in the spec")
        kept = paths.setdefault(path, {k: v for k, v in spec["paths"][path].items() if k == "parameters"})
        kept[method.lower()] = item
    components: dict[str, dict[str, Any]] = {}
    pending = _refs(paths)
    while pending:
        ref = pending.pop()
        _, _, kind, name = ref.split("/", 3)
        if name in components.get(kind, {}):
            continue
        node = spec["components"][kind][name]
        components.setdefault(kind, {})[name] = node
        pending |= _refs(node)
    if "securitySchemes" in spec.get("components", {}):
        components["securitySchemes"] = spec["components"]["securitySchemes"]
    kept_spec = {k: spec[k] for k in ("openapi", "info", "servers", "security") if k in spec}
    return {
        **kept_spec,
        "paths": paths,
        "components": {kind: dict(sorted(named.items())) for kind, named in sorted(components.items())},
    }


def main(argv: list[str]) -> int:
    """Vendor the specs from the clone named on the command line."""
    if len(argv) != 2:
        print(__doc__)
        return 2
    repo = Path(argv[1])
    if (repo / ".git").is_dir():
        repo = repo / ".git"
    commit = _git(repo, "rev-parse", "HEAD").strip()
    committed = _git(repo, "log", "-1", "--format=%cI", commit).strip()
    TARGET.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {
        "repository": REPOSITORY,
        "commit": commit,
        "committed": committed,
        "files": {},
    }
    for name, (source, operations) in sorted(SOURCES.items()):
        spec = json.loads(_git(repo, "show", f"{commit}:{source}"))
        (TARGET / name).write_text(json.dumps(trimmed(spec, operations), indent=1) + "\n", encoding="utf-8")
        manifest["files"][name] = {
            "source": source,
            "blob": _git(repo, "rev-parse", f"{commit}:{source}").strip(),
            "operations": list(operations),
        }
        print(f"{name}: {len(operations)} operations from {source}")
    (TARGET / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
