"""Lambda SnapStart runtime hooks: what a function's snapshot holds, and what each restored copy renews.

With SnapStart on (the template's `SnapStart=true`), Lambda initialises a function once, when a
version is published, snapshots the memory of that execution environment and resumes every new
environment of the version from that one snapshot
(https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html). Whatever the initialisation leaves
in memory is therefore shared, byte for byte, by every copy restored from it, possibly hours later:
AWS asks that "unique IDs, unique secrets, and entropy that's used to generate pseudorandomness" be
made after initialisation, in the handler or in a runtime hook
(https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html).

Primed before the snapshot (expensive, and the same for every copy):
- The modules the function's first event would import: wiring builds each adapter and use case on
  first use and imports its module then (the HubSpot client is ~0.2 s of imports, the generated
  HubSpot APIs the adapter reaches lazily ~0.1 s more). Which ones is told by the handler Lambda
  loads (`_HANDLER`, https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
- The settings (`settings()`: environment variables, no secret: the deployed stack's secrets stay
  in Secrets Manager) and the team's configuration file, validated (`wiring.config()`, ~0.1 s):
  plain data from the deployment package.
- The botocore session (`wiring._aws()`, ~0.15 s of imports) and the data its clients load: each
  AWS API the function calls gets a throwaway unsigned client, which loads the API's model and
  endpoint rules into the session's loader (~0.1 s for the first client) and resolves no
  credentials; the real clients are built after the restore in a few milliseconds.
Nothing secret and nothing bound to an execution environment is built: no secret is read, no
client the code uses and no connection is made. Priming is best effort: a step that fails is
logged and left to the first event, as without SnapStart, so it can never fail a publish.

Refreshed after each restore (must be unique, or fresh, in every copy):
- `random` is reseeded from the operating system: the snapshot holds the generator's state, so
  every copy would draw the same "random" waits (the HubSpot 429 jitter in `hubspot_errors`, and
  botocore's retry jitter), and copies started by one burst would retry in lockstep.
- The powertools parameters cache is dropped (`parameters.clear_caches()`): a secret cached before
  the snapshot would be shared by every copy and outlive a rotation however old the snapshot is.
- Every adapter and use case wiring may have built is forgotten (the HubSpot client and its
  connection pools, the AWS clients and the credentials they hold, the notifier's pool): AWS
  lists network connections and temporary data such as credentials made during initialisation
  among what a restored copy cannot rely on
  (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html#snapstart-compatibility,
  https://docs.aws.amazon.com/lambda/latest/dg/snapstart-best-practices.html#snapstart-networking).
  When anything had been built, the botocore session goes too, with any credentials it resolved.
Refreshing is strict: a step that fails fails the restore (Lambda reports Runtime.AfterRestoreError)
rather than let a copy serve with shared state.

Activation: import this module at the top of a handler module (`from leadflow import snapstart
# noqa: F401`). Lambda ignores hooks registered in a module the handler does not import, and hooks
registered while handling an event (https://github.com/aws/snapshot-restore-py#importing-modules).
The `snapshot_restore_py` library is part of the Python managed runtimes
(https://docs.aws.amazon.com/lambda/latest/dg/snapstart-runtime-hooks-python.html); elsewhere (local
runs, tests) it is absent, and importing this module registers nothing and does nothing. The runtime
runs the hooks only when it initialises a function for a snapshot, so with SnapStart off they never
run.
"""

from __future__ import annotations

import importlib
import os
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from leadflow import wiring
from leadflow.observability import logger
from leadflow.settings import settings


@dataclass(frozen=True)
class Priming:
    """What one handler's first event imports and builds lazily, so the snapshot can hold it."""

    modules: tuple[str, ...] = ()
    aws_services: tuple[str, ...] = ()
    config: bool = False


# The hubspot-api-client package whose transport the HubSpot adapter calls HubSpot's dated API through
# (`adapters/hubspot_api.py`); it is imported with the adapter, and named here so priming keeps it.
HUBSPOT_APIS: Final = ("hubspot.crm.objects",)
_HUBSPOT: Final = ("leadflow.adapters.hubspot", *HUBSPOT_APIS)

# By handler module: the modules wiring's builders import for the use cases that handler calls, and
# the AWS APIs their clients speak. tests/unit/test_snapstart.py checks that, once primed, building
# them imports nothing more.
PRIMING: Final[dict[str, Priming]] = {
    "leadflow.handlers.webhook": Priming(
        ("leadflow.app.webhook_intake", "leadflow.adapters.queue"),
        ("sqs",),
        config=True,
    ),
    "leadflow.handlers.signals": Priming(
        ("leadflow.app.signals_intake", "leadflow.adapters.queue"),
        ("sqs",),
    ),
    "leadflow.handlers.workflow_actions": Priming(
        (
            "leadflow.app.workflow_actions",
            "leadflow.adapters.state_store",
            "leadflow.adapters.step_functions",
            *_HUBSPOT,
        ),
        ("dynamodb", "stepfunctions"),
        config=True,
    ),
    "leadflow.handlers.lead_events": Priming(
        (
            "leadflow.app.intake",
            "leadflow.adapters.state_store",
            "leadflow.adapters.step_functions",
            "leadflow.adapters.queue",
            *_HUBSPOT,
        ),
        ("dynamodb", "stepfunctions", "sqs"),
        config=True,
    ),
    "leadflow.handlers.journey_steps": Priming(
        (
            "leadflow.app.journey",
            "leadflow.adapters.state_store",
            "leadflow.adapters.step_functions",
            "leadflow.adapters.queue",
            "leadflow.adapters.notify",
            *_HUBSPOT,
        ),
        ("dynamodb", "stepfunctions", "sqs", "sns"),
        config=True,
    ),
}

# wiring's cached builders whose result is the same in every copy and holds nothing secret, nor any
# connection or credential: kept across a restore. Every other cached builder is forgotten.
KEPT: Final = frozenset({"settings", "ready", "config", "_aws"})


def _handler_module() -> str:
    """The module of the handler Lambda loaded (`_HANDLER` is "module.function")."""
    return os.environ.get("_HANDLER", "").rpartition(".")[0]


def _prime_step(name: str, step: Callable[[], object]) -> None:
    try:
        step()
    except Exception as exc:
        logger.warning("SnapStart: priming step failed; the first event does it", step=name, error=repr(exc))


def _import_all(modules: Iterable[str]) -> None:
    for module in modules:
        importlib.import_module(module)


def _import_secrets_module() -> None:
    # What `wiring.secret` imports on first use where the secrets live in the stack's secret.
    if settings().secret_arn:
        importlib.import_module("aws_lambda_powertools.utilities.parameters")


def _load_aws_data(services: Iterable[str]) -> None:
    from botocore import UNSIGNED
    from botocore.config import Config

    session = wiring._aws()
    unsigned = Config(signature_version=UNSIGNED)
    for service in services:
        # Unsigned: the session resolves no credentials for it; the client itself is dropped.
        session.create_client(service, config=unsigned)


def before_snapshot() -> None:
    """Prime what is expensive and the same in every restored copy (see the module docstring)."""
    started = time.perf_counter()
    handler = _handler_module()
    priming = PRIMING.get(handler, Priming())
    _prime_step("settings", settings)
    _prime_step("modules", lambda: _import_all(priming.modules))
    _prime_step("secrets module", _import_secrets_module)
    if priming.config:
        _prime_step("config", wiring.config)
    _prime_step("botocore session", wiring._aws)
    _prime_step("aws data", lambda: _load_aws_data(priming.aws_services))
    logger.info(
        "SnapStart: primed before the snapshot",
        handler=handler or None,
        ms=round((time.perf_counter() - started) * 1000),
    )


def after_restore() -> None:
    """Renew what must be unique or fresh in each restored copy (see the module docstring)."""
    # No argument: seeded from os.urandom (the kernel's generator), not from the snapshotted state.
    random.seed()
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters")
    if parameters is not None:
        parameters.clear_caches()
    if wiring.reset(keep=KEPT):
        wiring.BUILDERS["_aws"].cache_clear()


_registered_with: list[Any] = []


def install(library: Any | None = None) -> bool:
    """Register the hooks with `snapshot_restore_py` (the runtime's when None); False where it is absent.

    Registering twice with one library is a no-op (the library would run a hook once per registration).
    """
    if library is None:
        try:
            library = importlib.import_module("snapshot_restore_py")
        except ImportError:
            return False
    if any(done is library for done in _registered_with):
        return True
    library.register_before_snapshot(before_snapshot)
    library.register_after_restore(after_restore)
    _registered_with.append(library)
    return True


INSTALLED: Final = install()
