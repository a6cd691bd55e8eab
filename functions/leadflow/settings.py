"""Runtime settings, read from the environment once per Lambda container."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr

# The team's configuration ships beside the package, so `sam build` bundles it with the code.
DEFAULT_CONFIG_FILE = Path(__file__).resolve().parent.parent / "leadflow.yaml"


class SettingsError(RuntimeError):
    """A setting the function needs is missing or malformed; the message names the variable."""


class Settings(BaseModel):
    """Every environment variable leadflow reads, with its default."""

    model_config = ConfigDict(frozen=True)

    hubspot_base_url: str = Field("https://api.hubapi.com", alias="HUBSPOT_BASE_URL")
    hubspot_access_token: SecretStr = Field(SecretStr(""), alias="HUBSPOT_ACCESS_TOKEN")
    hubspot_client_secret: SecretStr = Field(SecretStr(""), alias="HUBSPOT_CLIENT_SECRET")
    signals_secret: SecretStr = Field(SecretStr(""), alias="LEADFLOW_SIGNALS_SECRET")
    notify_url: SecretStr = Field(SecretStr(""), alias="LEADFLOW_NOTIFY_URL")
    workflow_api_key: SecretStr = Field(SecretStr(""), alias="LEADFLOW_WORKFLOW_API_KEY")
    notify_topic_arn: str = Field("", alias="LEADFLOW_NOTIFY_TOPIC_ARN")
    secret_arn: str = Field("", alias="LEADFLOW_SECRET_ARN")
    public_url: str = Field("", alias="LEADFLOW_PUBLIC_URL")
    queue_url: str = Field("", alias="LEADFLOW_QUEUE_URL")
    dead_letter_queue_url: str = Field("", alias="LEADFLOW_DEAD_LETTER_QUEUE_URL")
    table_name: str = Field("", alias="LEADFLOW_TABLE")
    state_machine_arn: str = Field("", alias="LEADFLOW_STATE_MACHINE_ARN")
    config_file: Path = Field(DEFAULT_CONFIG_FILE, alias="LEADFLOW_CONFIG_FILE")

    def missing(self, names: tuple[str, ...], secrets: tuple[str, ...]) -> list[str]:
        """The variables among `names` that are not set, and the secrets set neither in the
        environment nor through the stack's secret (LEADFLOW_SECRET_ARN)."""
        unset = [n for n in names if not self._text(n)]
        if not self.secret_arn:
            unset += [n for n in secrets if not self._text(n)]
        return [str(type(self).model_fields[n].alias) for n in unset]

    def _text(self, name: str) -> str:
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else str(value)

    def require(self, name: str) -> str:
        """The value of a setting that must be set, or a SettingsError naming its variable."""
        text = self._text(name)
        if not text:
            alias = type(self).model_fields[name].alias
            raise SettingsError(f"environment variable {alias} is not set")
        return text


# What each kind of function needs set before it can serve an event: plain settings, and secrets
# (an environment variable locally, else a key of the stack's secret).
NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "webhook": (("queue_url",), ("hubspot_client_secret",)),
    "signals": (("queue_url",), ("signals_secret",)),
    "lead_events": (("table_name", "queue_url", "state_machine_arn"), ("hubspot_access_token",)),
    "journey": (("table_name", "state_machine_arn"), ("hubspot_access_token",)),
    "workflow_actions": (
        ("table_name", "state_machine_arn"),
        ("hubspot_client_secret", "hubspot_access_token"),
    ),
}


@cache
def settings() -> Settings:
    """The settings of this process (read once; the local runtime clears the cache on restart)."""
    names = {f.alias for f in Settings.model_fields.values() if f.alias}
    try:
        return Settings.model_validate({k: v for k, v in os.environ.items() if k in names})
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
