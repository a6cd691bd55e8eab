"""The HubSpot app as the local runtime installs it in the stand-in: what `hs project upload` would install
from the project (its webhook subscriptions and workflow actions), with the local API's URLs as the
profile's variables."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from leadflow.core.config import load_config
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli import hubspot_project
from leadflow_cli.hubspot_project import HubSpotProject, ProjectError
from leadflow_cli.hubspot_standin import HubSpotStandIn

# The id the stand-in gives the project's app.
APP_ID: Final = "4242"


@dataclass
class InstalledApp:
    """The project as installed: its components, and each workflow action's definition id by uid."""

    project: HubSpotProject
    actions: dict[str, str] = field(default_factory=dict)

    @property
    def app_id(self) -> str:
        """The app's id in the stand-in."""
        return APP_ID


def install(
    standin: HubSpotStandIn, api_url: str, config_file: Path | None, project_dir: Path | None
) -> InstalledApp:
    """Install the HubSpot project in the stand-in: subscribe the app to the project's generic (lead)
    subscriptions and create its workflow actions. Without `project_dir`, the project is the one
    `leadflow hubspot project` makes from the configuration; with it, that directory must be up to date
    with the configuration."""
    config = load_config(config_file or DEFAULT_CONFIG_FILE)
    variables = hubspot_project.local_profile(api_url).json()["variables"]
    if project_dir is not None:
        problems = hubspot_project.stale(config, project_dir)
        if problems:
            raise ProjectError("the HubSpot project is stale: " + "; ".join(problems))
        project = hubspot_project.load(project_dir, variables=variables)
    else:
        with tempfile.TemporaryDirectory(prefix="leadflow-hubspot-") as scratch:
            hubspot_project.write(config, Path(scratch))
            project = hubspot_project.load(Path(scratch), variables=variables)
    # Contacts' events are sent by whoever plays HubSpot (the demo, the tests); the generic ones by the
    # stand-in itself, as the app's subscriptions catch them.
    standin.store.webhooks.subscribe("leads", project.subscriptions("leads"))
    installed = InstalledApp(project)
    for uid, component in project.actions.items():
        installed.actions[uid] = standin.automation.install(APP_ID, uid, component)
    return installed
