"""Every mistake a user can make with a command is answered in one sentence on stderr and a non-zero exit
code: never a traceback, never a half-done run."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from leadflow_cli.main import main
from tests.conftest import ROOT

SHIPPED = ROOT / "functions" / "leadflow.yaml"


def _free_port() -> str:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def _bad_config(tmp_path: Path) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(SHIPPED.read_text().replace("property: jobtitle", "property: jobtitel"))
    return str(path)


def _export(tmp_path: Path) -> str:
    path = tmp_path / "contacts.csv"
    path.write_text("Record ID,Industry\n1,Computer Software\n")
    return str(path)


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine with no AWS credentials anywhere boto3 looks (and no instance metadata to ask)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")


# Each mistake: the command (with {port}, {bad}, {csv} filled in), its exit code, and what the one
# sentence must say.
MISTAKES = [
    (["backtest", "{csv}", "--now", "notadate"], 2, "'notadate' is not an ISO 8601 time"),
    (["backtest", "{csv}", "--map", "Industry"], 2, "'Industry' is not LABEL=property"),
    (["journeys", "--local", "{port}"], 1, "no leadflow local runtime answers at http://127.0.0.1:{port}"),
    (["journey", "101", "--local", "{port}"], 1, "start one with `leadflow local`"),
    (["send", "contact", "email=a@b.example", "--local", "{port}"], 1, "no leadflow local runtime answers"),
    (["report", "--stack", "x"], 1, "no AWS credentials: pass --profile"),
    (["local", "--time-scale", "0"], 2, "--time-scale: 0 is not at least 1"),
    (["local", "--config", "{bad}", "--port", "0", "--aws-port", "0"], 2, "did you mean 'jobtitle'?"),
    (["signals", "sign", "/nope.json"], 2, "cannot use /nope.json: No such file or directory"),
    (["hubspot", "sign", "/nope.json"], 2, "cannot use /nope.json: No such file or directory"),
    (["diagram", "/nope.md"], 2, "cannot use /nope.md: No such file or directory"),
    (["journeys", "--stack", "x", "--local"], 2, "--local: not allowed with argument --stack"),
    (["report", "--local", "--since", "-5"], 2, "--since: -5 is not a number of days"),
    (["journeys", "--local", "--older-than", "-3"], 2, "--older-than: -3 is not a number of hours"),
    (["local", "--port", "70000"], 2, "'70000' is not a port"),
    (["config", "check", "{bad}"], 2, "scoring.fit.rules[executive]: unknown contact property 'jobtitel'"),
    (
        ["hubspot", "bootstrap", "--base-url", "http://127.0.0.1:{port}"],
        1,
        "HubSpot does not answer at 127.0.0.1:{port} (connection refused)",
    ),
]


@pytest.mark.parametrize(("argv", "code", "said"), MISTAKES, ids=[" ".join(m[0]) for m in MISTAKES])
@pytest.mark.usefixtures("no_aws_credentials")
def test_a_mistake_is_answered_in_one_sentence_and_a_nonzero_exit(
    argv: list[str],
    code: int,
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "a-token")
    filled = {"port": _free_port(), "bad": _bad_config(tmp_path), "csv": _export(tmp_path)}
    args = [a.format(**filled) for a in argv]
    try:
        exit_code = main(args)
    except SystemExit as exc:  # argparse's answer
        exit_code = int(exc.code or 0)
    out, err = capsys.readouterr()
    assert exit_code == code
    assert out == ""
    assert err.startswith("leadflow") and err.endswith("\n") and err.count("\n") == 1, err
    assert said.format(**filled) in err
    assert "Traceback" not in err


def _leadflow(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - the project's own CLI
        [sys.executable, "-m", "leadflow_cli.main", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    # `leadflow config check | head`: the pipe closes before the command has written everything.
    process = _leadflow("config", "check")
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=120) == 141  # as a shell reports a process that SIGPIPE ended
    assert err == b""
