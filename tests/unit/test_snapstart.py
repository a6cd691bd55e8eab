"""The SnapStart runtime hooks: what the snapshot is primed with, and what each restored copy renews.

The Lambda runtime calls the hooks registered with `snapshot_restore_py`; here a stand-in library
records the registrations and the tests call the hooks as the runtime would: before the snapshot
once, then after the restore in each copy (a copy is the snapshot's state, restored).
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from leadflow import snapstart, wiring
from leadflow.observability import logger
from leadflow_cli.local.template import load_template
from tests.conftest import ROOT

# Settings every function can start with, none of which reaches a network when its adapters are built.
ENVIRONMENT = {
    "LEADFLOW_TABLE": "leadflow-state",
    "LEADFLOW_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/lead-events",
    "LEADFLOW_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:lead-journey",
    "LEADFLOW_NOTIFY_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:notifications",
    "HUBSPOT_ACCESS_TOKEN": "token",
    "HUBSPOT_CLIENT_SECRET": "client-secret",
    "LEADFLOW_SIGNALS_SECRET": "signals-secret",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",
}
# What each handler builds on its first event (the use cases' lazy dependencies included).
FIRST_EVENT_BUILDS = {
    "leadflow.handlers.webhook.handler": ["webhook_intake"],
    "leadflow.handlers.signals.handler": ["signals_intake"],
    "leadflow.handlers.workflow_actions.handler": ["workflow_actions"],
    "leadflow.handlers.lead_events.handler": ["intake", "hubspot", "config", "queue"],
    "leadflow.handlers.journey_steps.route": ["steps", "engine", "notifier", "queue"],
}


class SnapshotRestoreLibrary(types.ModuleType):
    """A stand-in for the runtime's `snapshot_restore_py`: it records what is registered."""

    def __init__(self) -> None:
        super().__init__("snapshot_restore_py")
        self.before: list[Callable[..., Any]] = []
        self.after: list[Callable[..., Any]] = []

    def register_before_snapshot(self, func: Callable[..., Any], *_: Any, **__: Any) -> Callable[..., Any]:
        self.before.append(func)
        return func

    def register_after_restore(self, func: Callable[..., Any], *_: Any, **__: Any) -> Callable[..., Any]:
        self.after.append(func)
        return func


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The settings above, fresh wiring, and the process's random state and secret cache put back."""
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    for name in ("LEADFLOW_SECRET_ARN", "LEADFLOW_CONFIG_FILE", "_HANDLER"):
        monkeypatch.delenv(name, raising=False)
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    providers = dict(DEFAULT_PROVIDERS)
    state = random.getstate()
    wiring.reset()
    yield
    wiring.reset()
    random.setstate(state)
    DEFAULT_PROVIDERS.clear()
    DEFAULT_PROVIDERS.update(providers)


def built(name: str) -> bool:
    cached: Any = getattr(wiring, name)
    return bool(cached.cache_info().currsize)


def test_the_hooks_register_once_with_the_runtime_library() -> None:
    library = SnapshotRestoreLibrary()

    assert snapstart.install(library) is True
    assert snapstart.install(library) is True  # a second import-time call registers nothing more

    assert (library.before, library.after) == ([snapstart.before_snapshot], [snapstart.after_restore])


@pytest.mark.skipif(
    importlib.util.find_spec("snapshot_restore_py") is not None, reason="the runtime library is installed"
)
def test_without_the_runtime_library_the_module_imports_and_registers_nothing() -> None:
    assert snapstart.INSTALLED is False
    assert snapstart.install() is False


@pytest.mark.parametrize("handler", sorted(FIRST_EVENT_BUILDS))
def test_priming_imports_the_functions_modules_and_builds_nothing_secret_or_connected(
    handler: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    monkeypatch.setenv("_HANDLER", handler)
    priming = snapstart.PRIMING[handler.rpartition(".")[0]]
    # A provider another test of this process made is not the priming's.
    for name in list(DEFAULT_PROVIDERS):
        monkeypatch.delitem(DEFAULT_PROVIDERS, name)

    snapstart.before_snapshot()

    assert all(module in sys.modules for module in priming.modules)
    assert built("config") is priming.config
    assert built("_aws")
    # No adapter or use case: no client with credentials, no connection pool, no secret read.
    assert not any(built(name) for name in wiring.BUILDERS if name not in snapstart.KEPT)
    assert getattr(wiring._aws(), "_credentials", None) is None
    assert "secrets" not in DEFAULT_PROVIDERS


def test_priming_imports_the_secrets_utility_only_where_the_secrets_live_in_the_stack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("_HANDLER", "leadflow.handlers.signals.handler")
    monkeypatch.setenv("LEADFLOW_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:leadflow")
    monkeypatch.delitem(sys.modules, "aws_lambda_powertools.utilities.parameters", raising=False)

    snapstart.before_snapshot()

    assert "aws_lambda_powertools.utilities.parameters" in sys.modules


def test_a_priming_step_that_fails_is_logged_and_left_to_the_first_event(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # powertools writes JSON to the sys.stdout of import time, which is not capsys's: point it there.
    monkeypatch.setattr(logger.registered_handler, "stream", sys.stdout)
    monkeypatch.setenv("_HANDLER", "leadflow.handlers.webhook.handler")
    monkeypatch.setenv("LEADFLOW_CONFIG_FILE", "/no/such/leadflow.yaml")

    snapstart.before_snapshot()  # does not raise: a failed hook would fail the version's publication

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    failed = [line for line in lines if line["message"].startswith("SnapStart: priming step failed")]
    assert [line["step"] for line in failed] == ["config"]
    assert built("_aws")  # the steps after it still ran


def restore(snapshot: tuple[Any, ...]) -> None:
    """One execution environment resuming from the snapshot: the runtime then runs the after-restore hook."""
    random.setstate(snapshot)
    snapstart.after_restore()


def test_two_copies_restored_from_one_snapshot_draw_different_random_numbers() -> None:
    snapstart.before_snapshot()
    snapshot = random.getstate()

    random.setstate(snapshot)
    unrefreshed = [random.random() for _ in range(3)]
    random.setstate(snapshot)
    assert [random.random() for _ in range(3)] == unrefreshed  # what every copy would draw, unrefreshed

    restore(snapshot)
    first = [random.random() for _ in range(3)]
    restore(snapshot)
    second = [random.random() for _ in range(3)]

    assert first != second
    assert unrefreshed not in (first, second)


def test_after_restore_the_secret_cache_is_empty() -> None:
    from aws_lambda_powertools.utilities import parameters
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    provider = parameters.SecretsProvider(boto3_client=object())  # type: ignore[arg-type]
    provider.add_to_cache(key=("leadflow", "json"), value={"hubspot_access_token": "cached"}, max_age=300)
    DEFAULT_PROVIDERS["secrets"] = provider

    snapstart.after_restore()

    assert DEFAULT_PROVIDERS == {}


def test_after_restore_every_built_adapter_is_forgotten_and_the_primed_data_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("_HANDLER", "leadflow.handlers.journey_steps.route")
    snapstart.before_snapshot()
    session = wiring._aws()

    snapstart.after_restore()

    assert built("config") and built("settings")
    assert wiring._aws() is session  # nothing had been built: the session holds no credentials


def test_after_restore_what_the_initialisation_built_is_built_again_from_a_fresh_session() -> None:
    # Code that built adapters while the function initialised (none does today) must not hand
    # their clients, pools and credentials to every copy.
    queue, hubspot, session = wiring.queue(), wiring.hubspot(), wiring._aws()

    snapstart.after_restore()

    assert not built("queue") and not built("hubspot")
    assert wiring.queue() is not queue and wiring.hubspot() is not hubspot
    assert wiring._aws() is not session


def test_the_kept_builders_are_wirings() -> None:
    assert set(wiring.BUILDERS) >= snapstart.KEPT


def test_every_function_of_the_template_has_its_priming() -> None:
    functions = load_template(ROOT / "template.yaml").functions.values()
    handlers = {spec.handler.rpartition(".")[0] for spec in functions}

    assert set(snapstart.PRIMING) == handlers
    assert {h.rpartition(".")[0] for h in FIRST_EVENT_BUILDS} == handlers


def test_the_hubspot_package_primed_is_the_one_the_transport_imports() -> None:
    source = (ROOT / "functions" / "leadflow" / "adapters" / "hubspot_api.py").read_text()
    packages = set(re.findall(r"^from (hubspot\.[\w.]+)\.(?:api_client|configuration) import", source, re.M))

    assert packages, "the transport imports a generated package's ApiClient"
    assert packages == set(snapstart.HUBSPOT_APIS)


_FIRST_EVENT = """
import importlib, json, os, sys, types
library = types.ModuleType("snapshot_restore_py")
library.register_before_snapshot = library.register_after_restore = lambda func, *a, **k: func
sys.modules["snapshot_restore_py"] = library
importlib.import_module(os.environ["_HANDLER"].rpartition(".")[0])
from leadflow import snapstart, wiring
snapstart.before_snapshot()
snapstart.after_restore()
loaded = set(sys.modules)
for name in sys.argv[1:]:
    getattr(wiring, name)()
print(json.dumps(sorted(set(sys.modules) - loaded)))
"""


@pytest.mark.parametrize("handler", sorted(FIRST_EVENT_BUILDS))
def test_once_primed_a_functions_first_event_imports_nothing_more(handler: str) -> None:
    # A process of its own: the function's imports are all that is loaded, as in Lambda.
    env = {**os.environ, **ENVIRONMENT, "_HANDLER": handler}
    run = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", _FIRST_EVENT, *FIRST_EVENT_BUILDS[handler]],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
        timeout=60,
    )
    imported = json.loads(run.stdout.splitlines()[-1])

    assert imported == [], f"prime these for {handler} in leadflow.snapstart.PRIMING"
