"""`leadflow hubspot project`: the HubSpot side of leadflow as a developer-platform project, generated from
the configuration (the twin of template.yaml, which is the AWS side).

Since 2026-10-26 a new single-account integration is a project app
(https://developers.hubspot.com/changelog/legacy-private-app-creation-sunset): `hsproject.json`, an app
component with private distribution and static auth (a static token and a client secret on the app's Auth
tab), a webhooks component and one workflow-action component per custom action, each in a `*-hsmeta.json`
file under `src/app/` (https://developers.hubspot.com/docs/apps/developer-platform/build-apps/app-configuration;
the shapes follow HubSpot's templates, github.com/HubSpot/hubspot-project-components, 2026.03/components/
app/static-private, webhooks and workflow-actions). The stack's URLs differ per environment, so the
components name them as `${VARIABLES}` that a config profile, `hsprofile.<profile>.json`, fills in at
`hs project upload --profile <profile>`
(https://developers.hubspot.com/docs/developer-tooling/local-development/build-with-config-profiles).
Platform version 2026.03 is the latest general release of the templates (2026.09 is a beta there).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from leadflow.core.config import LeadflowConfig
from leadflow.core.triage import LEAD_PROPERTIES
from leadflow_cli.workflow_actions import handoff_definition, score_definition

PROJECT_DIR: Final = Path("hubspot-project")
PLATFORM_VERSION: Final = "2026.03"
APP_DIR: Final = Path("src/app")
APP_FILE: Final = APP_DIR / "app-hsmeta.json"
WEBHOOKS_FILE: Final = APP_DIR / "webhooks/webhooks-hsmeta.json"
SCORE_FILE: Final = APP_DIR / "workflow-actions/score-hsmeta.json"
HANDOFF_FILE: Final = APP_DIR / "workflow-actions/handoff-hsmeta.json"
# The variables the components name, and the stack outputs that fill them.
WEBHOOK_URL: Final = "WEBHOOK_URL"
SCORE_ACTION_URL: Final = "SCORE_ACTION_URL"
HANDOFF_ACTION_URL: Final = "HANDOFF_ACTION_URL"
VARIABLES: Final = (WEBHOOK_URL, SCORE_ACTION_URL, HANDOFF_ACTION_URL)
# The profile the local runtime and the demo read: the stand-in's portal, the local API's URLs.
LOCAL_PROFILE: Final = "local"
LOCAL_PORTAL_ID: Final = 62515
# At most this many webhook requests HubSpot sends at once (the template's value; leadflow answers a
# delivery in milliseconds and queues it).
MAX_CONCURRENT_REQUESTS: Final = 10
# Leads are a generic subscription (`crmObjects`, `object.*`), named by object type
# (https://developers.hubspot.com/changelog/public-beta-generic-webhook-subscriptions).
LEAD_OBJECT_NAME: Final = "lead"


def required_scopes(config: LeadflowConfig) -> list[str]:
    """Exactly the scopes leadflow's calls need, each from the 2026-09 specs' `security` (private apps):
    contacts read/write (records, search, and the tasks and notes whose creates the specs guard with
    crm.objects.contacts.write), companies read, deals read/write, owners read, the contact and deal
    property schemas (`leadflow hubspot bootstrap`), `automation` for the callbacks of blocked workflow
    actions; leads read/write only when a team hands off on leads."""
    scopes = {
        "crm.objects.contacts.read",
        "crm.objects.contacts.write",
        "crm.objects.companies.read",
        "crm.objects.deals.read",
        "crm.objects.deals.write",
        "crm.objects.owners.read",
        "crm.schemas.contacts.write",
        "crm.schemas.deals.write",
        "automation",
    }
    if config.uses_leads:
        scopes |= {"crm.objects.leads.read", "crm.objects.leads.write"}
    return sorted(scopes)


def hsproject() -> dict[str, Any]:
    """`hsproject.json`: the project's name, source directory and platform version."""
    return {"name": "leadflow", "srcDir": "src", "platformVersion": PLATFORM_VERSION}


def app_component(config: LeadflowConfig) -> dict[str, Any]:
    """The app: private distribution (installed in the one account it is uploaded to), static auth."""
    return {
        "uid": "leadflow_app",
        "type": "app",
        "config": {
            "name": "leadflow",
            "description": "Lead lifecycle engine: scores contacts, routes MQLs, times the SLA and hands "
            "sales-qualified leads to sales.",
            "distribution": "private",
            "auth": {
                "type": "static",
                "requiredScopes": required_scopes(config),
                "optionalScopes": [],
                "conditionallyRequiredScopes": [],
            },
            "permittedUrls": {"fetch": [], "iframe": [], "img": []},
        },
    }


def webhook_subscriptions(config: LeadflowConfig) -> dict[str, list[dict[str, Any]]]:
    """What `leadflow config check` lists: contact creation and the contact properties scoring and the
    journey read (legacy `contact.*` subscriptions), and, for teams on leads, the lead's stage and
    decision reason (generic `object.propertyChange` of the lead object)."""
    contacts = [{"subscriptionType": "contact.creation", "active": True}] + [
        {"subscriptionType": "contact.propertyChange", "propertyName": name, "active": True}
        for name in config.subscribed_properties
    ]
    leads = [
        {
            "subscriptionType": "object.propertyChange",
            "objectType": LEAD_OBJECT_NAME,
            "propertyName": name,
            "active": True,
        }
        for name in (LEAD_PROPERTIES if config.uses_leads else ())
    ]
    return {"crmObjects": leads, "legacyCrmObjects": contacts, "hubEvents": []}


def webhooks_component(config: LeadflowConfig) -> dict[str, Any]:
    """The webhooks component: the stack's webhook URL (a profile variable) and the subscriptions."""
    return {
        "uid": "leadflow_webhooks",
        "type": "webhooks",
        "config": {
            "settings": {
                "targetUrl": f"${{{WEBHOOK_URL}}}",
                "maxConcurrentRequests": MAX_CONCURRENT_REQUESTS,
            },
            "subscriptions": webhook_subscriptions(config),
        },
    }


def action_component(uid: str, definition: Mapping[str, Any]) -> dict[str, Any]:
    """A workflow-action component from leadflow's action definition (the v4 definition's fields, with
    `isPublished` for `published`, and the clients it appears in)."""
    labels = {
        locale: {k: v for k, v in text.items() if k != "appDisplayName"}
        for locale, text in definition["labels"].items()
    }
    return {
        "uid": uid,
        "type": "workflow-action",
        "config": {
            "actionUrl": definition["actionUrl"],
            "isPublished": bool(definition["published"]),
            "supportedClients": [{"client": "WORKFLOWS"}],
            "objectTypes": list(definition["objectTypes"]),
            "objectRequestOptions": definition["objectRequestOptions"],
            "inputFields": definition["inputFields"],
            "outputFields": definition["outputFields"],
            "labels": labels,
        },
    }


def _action_components(config: LeadflowConfig) -> dict[Path, dict[str, Any]]:
    # The definitions build each URL from a base; the component takes the profile's variable whole.
    score = {**score_definition(config, ""), "actionUrl": f"${{{SCORE_ACTION_URL}}}"}
    handoff = {**handoff_definition(config, ""), "actionUrl": f"${{{HANDOFF_ACTION_URL}}}"}
    return {
        SCORE_FILE: action_component("leadflow_score", score),
        HANDOFF_FILE: action_component("leadflow_handoff", handoff),
    }


@dataclass(frozen=True)
class Profile:
    """A config profile: the HubSpot account it uploads to and the stack URLs its variables carry."""

    name: str
    account_id: int
    webhook_url: str
    actions_base_url: str

    @property
    def file(self) -> Path:
        """Where the profile lives in the project."""
        return Path(f"hsprofile.{self.name}.json")

    def json(self) -> dict[str, Any]:
        """The profile file's content."""
        base = self.actions_base_url.rstrip("/")
        variables = {
            WEBHOOK_URL: self.webhook_url,
            SCORE_ACTION_URL: f"{base}/score",
            HANDOFF_ACTION_URL: f"{base}/handoff",
        }
        return {"accountId": self.account_id, "variables": variables}


def local_profile(api_url: str = "http://127.0.0.1:3000") -> Profile:
    """The profile of the local runtime: the stand-in's portal and the local API."""
    return Profile(
        LOCAL_PROFILE, LOCAL_PORTAL_ID, f"{api_url}/webhooks/hubspot", f"{api_url}/workflows/actions"
    )


def project_files(config: LeadflowConfig) -> dict[Path, dict[str, Any]]:
    """Every generated file of the project, by its path in the project directory."""
    return {
        Path("hsproject.json"): hsproject(),
        APP_FILE: app_component(config),
        WEBHOOKS_FILE: webhooks_component(config),
        **_action_components(config),
        local_profile().file: local_profile().json(),
    }


def text(content: Mapping[str, Any]) -> str:
    """A file's text as the repository keeps it."""
    return json.dumps(content, indent=2) + "\n"


def write(config: LeadflowConfig, root: Path, profiles: tuple[Profile, ...] = ()) -> list[Path]:
    """Write the project (and any extra profiles) under `root`; the files whose content changed."""
    files = project_files(config) | {p.file: p.json() for p in profiles}
    changed = []
    for relative, content in files.items():
        path = root / relative
        wanted = text(content)
        if not path.exists() or path.read_text(encoding="utf-8") != wanted:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted, encoding="utf-8")
            changed.append(path)
    return changed


def stale(config: LeadflowConfig, root: Path) -> list[str]:
    """What in the project under `root` does not match the configuration: each file missing or
    different, and each component file the configuration does not make; [] when it is up to date."""
    files = project_files(config)
    problems = []
    for relative, content in files.items():
        path = root / relative
        if not path.exists():
            problems.append(f"{path} is missing")
        elif path.read_text(encoding="utf-8") != text(content):
            problems.append(f"{path} differs from the configuration")
    src = root / APP_DIR
    extra = (
        sorted(p for p in src.rglob("*-hsmeta.json") if p.relative_to(root) not in files)
        if src.exists()
        else []
    )
    problems += [f"{p} is not made by the configuration" for p in extra]
    return problems


# leadflow's JSON schemas of the project's files, written from HubSpot's documentation and templates (each
# cites its sources): `hs project validate` fetches HubSpot's own and needs a login, so these check offline.
SCHEMA_DIR: Final = Path(__file__).resolve().parent.parent / "schema" / "hubspot-project"
_COMPONENT_SCHEMAS: Final = {"app": "app", "webhooks": "webhooks", "workflow-action": "workflow-action"}


def schema_problems(root: Path) -> list[str]:
    """Every way the project's files under `root` break leadflow's schemas of them; [] when none do."""
    from jsonschema import Draft202012Validator

    files = [
        (root / "hsproject.json", "hsproject"),
        *((p, "hsprofile") for p in sorted(root.glob("hsprofile.*.json"))),
    ]
    for path in sorted((root / APP_DIR).rglob("*-hsmeta.json")):
        kind = _read(path).get("type")
        if kind not in _COMPONENT_SCHEMAS:
            return [f"{path}: component type {kind!r} is not one leadflow's project has"]
        files.append((path, _COMPONENT_SCHEMAS[str(kind)]))
    problems = []
    for path, schema in files:
        validator = Draft202012Validator(json.loads((SCHEMA_DIR / f"{schema}.schema.json").read_text()))
        for error in sorted(validator.iter_errors(_read(path)), key=lambda e: list(e.absolute_path)):
            where = "/".join(map(str, error.absolute_path)) or "(top level)"
            problems.append(f"{path}: {where}: {error.message}")
    return problems


class ProjectError(RuntimeError):
    """The project cannot be read: the message names the file and what is wrong."""


@dataclass(frozen=True)
class HubSpotProject:
    """A project as a profile resolves it: what `hs project upload --profile <name>` would install."""

    app: dict[str, Any]
    webhooks: dict[str, Any]
    actions: dict[str, dict[str, Any]]  # uid -> the workflow-action component's config

    def subscriptions(self, object_type: str) -> set[str]:
        """The properties whose changes the app subscribes to for an object type (`contacts`, `leads`)."""
        subs = self.webhooks["subscriptions"]
        if object_type == "contacts":
            return {
                s["propertyName"]
                for s in subs.get("legacyCrmObjects") or []
                if s.get("active") and s["subscriptionType"] == "contact.propertyChange"
            }
        singular = {"leads": LEAD_OBJECT_NAME}.get(object_type, object_type.removesuffix("s"))
        return {
            s["propertyName"]
            for s in subs.get("crmObjects") or []
            if s.get("active")
            and s["subscriptionType"] == "object.propertyChange"
            and s["objectType"] == singular
        }


def load(
    root: Path, profile: str = LOCAL_PROFILE, variables: Mapping[str, Any] | None = None
) -> HubSpotProject:
    """Read the project under `root` with a profile's variables filled in (or `variables` instead)."""
    if variables is None:
        variables = _read(root / f"hsprofile.{profile}.json").get("variables") or {}
    app = _resolved(_read(root / APP_FILE), variables, root / APP_FILE)
    webhooks = _resolved(_read(root / WEBHOOKS_FILE), variables, root / WEBHOOKS_FILE)
    actions = {}
    for path in sorted((root / APP_DIR / "workflow-actions").glob("*-hsmeta.json")):
        component = _resolved(_read(path), variables, path)
        actions[component["uid"]] = component["config"]
    return HubSpotProject(app["config"], webhooks["config"], actions)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"{path} is missing: run `leadflow hubspot project`") from None
    except ValueError as exc:
        raise ProjectError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path} must hold a JSON object")
    return data


def _resolved(value: Any, variables: Mapping[str, Any], where: Path) -> Any:
    """`value` with each `${NAME}` string replaced by the profile's variable; a missing one fails."""
    if isinstance(value, dict):
        return {k: _resolved(v, variables, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(v, variables, where) for v in value]
    if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
        name = value[2:-1]
        if name not in variables:
            raise ProjectError(f"{where} names ${{{name}}}, which the profile does not set")
        return variables[name]
    return value
