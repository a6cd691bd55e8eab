"""The local runtime refuses an empty secret at start, naming it, instead of quietly using the published
default; and a function that crashes leaves its traceback in the local log, as Lambda's log would."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import pytest

from leadflow.settings import SettingsError
from leadflow_cli.local.lambdas import FunctionError
from leadflow_cli.local.runtime import LocalRuntime
from leadflow_cli.main import main
from tests.conftest import ROOT, make_runtime

SECRETS = ["HUBSPOT_CLIENT_SECRET", "LEADFLOW_SIGNALS_SECRET", "LEADFLOW_WORKFLOW_API_KEY"]


@pytest.mark.parametrize("name", SECRETS)
@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_secret_is_refused_at_start_naming_it_and_nothing_starts(
    monkeypatch: pytest.MonkeyPatch, name: str, empty: str
) -> None:
    monkeypatch.setenv(name, empty)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    runtime = make_runtime()
    with pytest.raises(SettingsError, match=f"{name} is set but empty"):
        runtime.start()
    assert runtime.standin is None and runtime.api is None
    assert "AWS_ACCESS_KEY_ID" not in os.environ  # the environment was not touched


def test_signing_a_sample_with_an_empty_secret_exits_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEADFLOW_SIGNALS_SECRET", "")
    assert main(["signals", "sign", str(ROOT / "events" / "signals_post.json")]) == 2
    assert "leadflow: LEADFLOW_SIGNALS_SECRET is set but empty" in capsys.readouterr().err


def test_a_crashing_function_leaves_its_traceback_in_the_local_log(
    runtime_factory: Callable[..., LocalRuntime], caplog: pytest.LogCaptureFixture
) -> None:
    runtime = runtime_factory(consume_queues=False)
    with caplog.at_level(logging.ERROR, logger="leadflow_cli.local.lambdas"), pytest.raises(FunctionError):
        runtime.lambdas.invoke("RouteFunction", {"contact_id": "101"})  # no journey state: it crashes
    (crash,) = [r for r in caplog.records if r.name == "leadflow_cli.local.lambdas"]
    assert crash.getMessage().startswith("RouteFunction failed: ValidationError:")
    assert crash.exc_info is not None
    assert "journey_steps.py" in logging.Formatter().format(crash)  # the whole traceback, to the handler
