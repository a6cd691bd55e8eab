"""`leadflow local`: template.yaml served in one process on an embedded AWS emulator.

moto provides SQS, DynamoDB and Step Functions (executing statemachines/*.asl.json for
real); Lambda invocations, from the API, the SQS pollers or the state machine, run the
project's own handlers in this process; HubSpot is the local stand-in unless a real
base URL is given.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Final, Self
from unittest import mock

import boto3
from moto import mock_aws
from moto.awslambda.models import LambdaBackend
from moto.dynamodb.responses import DynamoHandler
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from leadflow.core.journey_record import execution_name
from leadflow.core.journey_state import JourneyState
from leadflow.settings import SettingsError
from leadflow_cli.hubspot_standin import HubSpotStandIn
from leadflow_cli.hubspot_standin.workflows import Workflows
from leadflow_cli.local import (
    aws_calls,
    control,
    dynamodb_patches,
    engine_patches,
    hubspot_app,
    iam,
    sqs_patches,
)
from leadflow_cli.local.api import LocalApi
from leadflow_cli.local.clock import LocalClock
from leadflow_cli.local.engine_clock import EngineWaits
from leadflow_cli.local.http_server import BackgroundServer
from leadflow_cli.local.intrinsics import Intrinsics
from leadflow_cli.local.lambdas import DEFAULT_TIMEOUT_S, LocalLambdas, Throttled, current_invocation
from leadflow_cli.local.polling import wait_for
from leadflow_cli.local.sqs_source import SqsPoller
from leadflow_cli.local.template import Template, TemplateError, load_template
from leadflow_cli.webhook_sender import HubSpotWebhookSender

_log = logging.getLogger(__name__)
# How often an asynchronous invocation is tried again while its function is throttled.
ASYNC_THROTTLE_RETRIES: Final = 200

REGION: Final = "us-east-1"
ACCOUNT: Final = "123456789012"
STACK: Final = "leadflow-local"
# The queue HubSpot's events wait in for the lead-events function.
EVENTS_QUEUE: Final = "LeadEventsQueue"
STACK_ID: Final = (
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/00000000-0000-4000-8000-000000000001"
)
DEFAULT_CLIENT_SECRET: Final = "leadflow-local-client-secret"  # noqa: S105 - documented local default
DEFAULT_SIGNALS_SECRET: Final = "leadflow-local-signals-secret"  # noqa: S105 - documented local default
DEFAULT_ACCESS_TOKEN: Final = "leadflow-local-access-token"  # noqa: S105 - the stand-in's token, not a secret
DEFAULT_WORKFLOW_KEY: Final = "leadflow-local-workflow-key"  # documented local default
DEFAULT_DEVELOPER_KEY: Final = "leadflow-local-developer-key"  # the stand-in's developer account key


def local_secret(name: str, default: str) -> str:
    """A secret of the local runtime: its environment variable, else the documented local default.

    Set but empty is refused, naming the variable: it is a mistake (a `VAR=` left in a shell or an
    .env file), and falling back to the published default would verify requests with a secret
    everyone knows.
    """
    value = os.environ.get(name)
    if value is None:
        return default
    if not value.strip():
        raise SettingsError(
            f"{name} is set but empty: give it a value, or unset it to use the local default {default!r}"
        )
    return value


@dataclass
class LocalOptions:
    """How to run the local runtime; None means "the documented default"."""

    template: Path = Path("template.yaml")
    host: str = "127.0.0.1"
    port: int = 3000
    # How much faster than the wall clock the local clock runs; None: it stands still until
    # `advance()` moves it (the tests and the demo, so no deadline passes because a machine is slow).
    time_scale: float | None = 1.0
    client_secret: str | None = None
    public_url: str | None = None
    hubspot_base_url: str | None = None
    access_token: str | None = None
    config_file: Path | None = None
    # The HubSpot project the stand-in installs (checked against the configuration); None: the one
    # `leadflow hubspot project` makes from the configuration.
    project_dir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    # False leaves queued lead events in place (for inspecting them); journeys' hand-offs are still done.
    consume_queues: bool = True
    # Also serve the emulated AWS APIs on this port (0: a free one), for `leadflow journeys --local`.
    aws_port: int | None = None
    # Overrides every queue's VisibilityTimeout, so redelivery after a failure is seen in seconds.
    visibility_timeout_s: int | None = None
    # Overrides every function's Timeout, so a timeout is seen in seconds.
    function_timeout_s: float | None = None
    # Values of the template's parameters (e.g. {"JourneyConcurrency": "2"}), beside the local defaults.
    parameters: dict[str, str] = field(default_factory=dict)


# Every request that writes (batch_write_item and the PartiQL ones write through the backend too), and
# those that walk a whole table: the emulator iterates the table's dict, which a concurrent write of a
# new key breaks ("dictionary changed size during iteration"), where DynamoDB answers both.
_DYNAMODB_SERIALIZED: Final = (
    "query",
    "scan",
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "transact_write_items",
    "execute_statement",
    "batch_execute_statement",
    "execute_transaction",
)
_dynamodb_lock = threading.Lock()


def _serialized(write: Any) -> Any:
    """A DynamoDB request that writes (or walks a table) run alone, answer included, as on DynamoDB.

    The emulator reads, checks and writes an item without a lock, so two concurrent executions
    could both pass a condition or both add one to the same counter and lose an increment. The
    lock covers the whole request, not just the backend's write: the handler reads the item
    before the write (for ReturnValues) and renders the live item after it, so with only the
    write locked, two `ADD cursor :one ... UPDATED_NEW` calls could both answer the later value
    (one turn of the round robin handed out twice, the one before it never).
    """

    def run(*args: Any, **kwargs: Any) -> Any:
        with _dynamodb_lock:
            return write(*args, **kwargs)

    return run


def _parameter(name: str, declared: dict[str, Any], value: str) -> str:
    """A parameter's value, refused as CloudFormation refuses it when it breaks the template's constraints."""
    pattern, allowed = declared.get("AllowedPattern"), declared.get("AllowedValues")
    if pattern is not None and not re.fullmatch(str(pattern), value):
        raise TemplateError(
            f"parameter {name} {declared.get('ConstraintDescription') or 'breaks ' + pattern}"
        )
    if allowed is not None and value not in {str(v) for v in allowed}:
        raise TemplateError(f"parameter {name} must be one of {', '.join(map(str, allowed))}")
    return value


class LocalRuntime:
    """The whole application on a laptop; use as a context manager."""

    def __init__(self, options: LocalOptions | None = None) -> None:
        self.options = options or LocalOptions()
        self.template: Template = load_template(self.options.template)
        self.lambdas = LocalLambdas(REGION, ACCOUNT)
        self.standin: HubSpotStandIn | None = None
        self.hubspot_app: hubspot_app.InstalledApp | None = None
        self.api: LocalApi | None = None
        self.pollers: list[SqsPoller] = []
        self.queue_urls: dict[str, str] = {}
        self.state_machine_arns: dict[str, str] = {}
        self.table_names: dict[str, str] = {}
        self.topic_arns: dict[str, str] = {}
        self._saved_env: dict[str, str | None] = {}
        self.aws_server: BackgroundServer | None = None
        self._secrets: dict[str, str] = {}
        self._log_level: int | None = None
        self._patches: list[Any] = []
        self._async_invocations: list[threading.Thread] = []
        self.clock = LocalClock(self.options.time_scale)
        self._waits = EngineWaits(self.clock)
        self._app_webhooks: HubSpotWebhookSender | None = None
        # Failures the functions' AWS calls meet (reliability tests): `aws_faults.fail(...)`.
        self.aws_faults = aws_calls.AwsFaults()

    # Lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> Self:
        """Start the emulator, create the template's resources and serve the API. A secret's variable set
        but empty is a SettingsError, and a port another program has a PortInUse, before anything starts;
        when anything else fails, what was started is stopped again before the error is raised."""
        self._secrets = {
            "HubSpotClientSecret": self.client_secret,
            "SignalsSecret": local_secret("LEADFLOW_SIGNALS_SECRET", DEFAULT_SIGNALS_SECRET),
            "WorkflowApiKey": local_secret("LEADFLOW_WORKFLOW_API_KEY", DEFAULT_WORKFLOW_KEY),
        }
        try:
            return self._start(self._secrets)
        except BaseException:
            self.stop()
            raise

    def _bind(self) -> None:
        """Take the API's and the AWS APIs' ports first, so that a taken one stops the start at once."""
        opts = self.options
        self.api = LocalApi(self.template.routes, self.lambdas, opts.host, opts.port)
        if opts.aws_port is not None:
            # The server shares this process's emulated backends, so other processes see the same state;
            # the runtime's own endpoints (its clock, `leadflow send`) are served beside them.
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )

            apis = control.with_control(DomainDispatcherApplication(create_backend_app), self)
            self.aws_server = BackgroundServer(apis, opts.host, opts.aws_port, "AWS APIs", MotoRequestHandler)
            self.aws_server.bind()

    def _start(self, secrets: dict[str, str]) -> Self:
        self._bind()
        # werkzeug logs every request at INFO; the functions' own logs are what matter here.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # The engine logs every error a Catch handles (an SLA timeout is one) and every wait
        # that stopping interrupts; the execution history is where those belong.
        logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
        self._set_env(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_SESSION_TOKEN": "local",
                "AWS_DEFAULT_REGION": REGION,
            }
        )
        aws = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        aws.start()
        self._patches.append(aws)

        def invoke(
            backend: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response: Any
        ) -> Any:
            asynchronous = (headers or {}).get("X-Amz-Invocation-Type") == "Event"
            payload, errored = self._invoke(function_name, body, asynchronous)
            if errored:
                response["x-amz-function-error"] = "Unhandled"
            return payload

        patches = [
            mock.patch.object(LambdaBackend, "invoke", invoke),
            *self._waits.patches(),
            *engine_patches.patches(self._invoke),
            *sqs_patches.patches(),
            *dynamodb_patches.patches(),
        ] + [
            mock.patch.object(DynamoHandler, name, _serialized(getattr(DynamoHandler, name)))
            for name in _DYNAMODB_SERIALIZED
        ]
        for patch in patches:
            patch.start()
            self._patches.append(patch)
        if self.aws_server is not None:
            self.aws_server.start()

        opts = self.options
        hubspot_url = opts.hubspot_base_url
        if hubspot_url is None:
            self.standin = HubSpotStandIn(
                access_token=opts.access_token or DEFAULT_ACCESS_TOKEN,
                clock=self.clock.now,
                developer_key=DEFAULT_DEVELOPER_KEY,
            ).start()
            hubspot_url = self.standin.base_url
        assert self.api is not None
        if self.standin is not None:
            # The HubSpot project's app: its subscriptions and workflow actions.
            self.hubspot_app = hubspot_app.install(
                self.standin, self.api_url, opts.config_file, opts.project_dir
            )
        public_url = opts.public_url or os.environ.get("LEADFLOW_PUBLIC_URL") or self.api_url
        parameters = {
            "HubSpotAccessToken": opts.access_token or DEFAULT_ACCESS_TOKEN,
            **secrets,
            "PublicUrl": public_url,
            **opts.parameters,
        }
        intrinsics = self._create_resources(parameters)
        policies = iam.function_policies(opts.template, parameters, REGION, intrinsics)
        guard = iam.IamGuard(
            iam.Permissions(policies),
            current_invocation,
            REGION,
            ACCOUNT,
            lambda function: f"arn:aws:sts::{ACCOUNT}:assumed-role/{STACK}-{function}Role/{function}",
        )
        self._patches.append(aws_calls.intercept([guard.check, self.aws_faults.check]))
        self._patches[-1].start()
        env = self._function_environment(intrinsics)
        env.update(
            HUBSPOT_BASE_URL=hubspot_url,
            POWERTOOLS_METRICS_DISABLED="true",
            **({"LEADFLOW_CONFIG_FILE": str(opts.config_file)} if opts.config_file else {}),
            **opts.extra_env,
        )
        self._set_env(env)
        # Imported only now, so loggers and settings built at import see this environment.
        from leadflow import wiring
        from leadflow.observability import logger

        # The logger may have been built before (a command that imported leadflow first): its level is
        # the environment's now, as a Lambda's would be.
        self._log_level = logger.log_level
        logger.setLevel(os.environ.get("POWERTOOLS_LOG_LEVEL") or "INFO")
        wiring.use_clock(self.clock.now)
        for poller in self._consumers():
            poller.start()
        self.api.start()
        return self

    def _invoke(self, function_name: str, body: bytes | str | None, asynchronous: bool) -> tuple[bytes, bool]:
        """Run a function on a JSON payload as Lambda's Invoke API does: (payload, function errored)."""
        if asynchronous:
            # As on AWS: the caller (a waitForTaskToken state) goes on waiting while the function
            # runs, so a function that completes the task at once is safe.
            worker = threading.Thread(target=self._invoke_event, args=(function_name, body), daemon=True)
            self._async_invocations.append(worker)
            worker.start()
            return b"", False
        return self.lambdas.invoke_json(function_name, body)

    def _invoke_event(self, function_name: str, body: bytes | str | None) -> None:
        """An asynchronous invocation: Lambda queues the event and retries it while the function is
        throttled (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html)."""
        for attempt in range(ASYNC_THROTTLE_RETRIES):
            try:
                self.lambdas.invoke_json(function_name, body)
                return
            except Throttled:
                time.sleep(min(1.0, 0.05 * 2**attempt) * random.random())  # noqa: S311 - jitter
        _log.error("%s stayed throttled; its asynchronous event is dropped", function_name)

    def stop(self) -> None:
        """Stop serving, abort running journeys and restore the process environment."""
        self._abort_running_executions()
        # Releases every wait still counting on the clock, so no engine thread outlives the runtime.
        self.clock.close()
        for worker in self._async_invocations:
            # A function still running after the environment is restored would act on the host's.
            worker.join(timeout=10)
        self._async_invocations.clear()
        for poller in self.pollers:
            if poller.started:
                poller.stop()
        if self.api:
            self.api.stop()
        if self.standin:
            self.standin.stop()
        if self.aws_server is not None:
            self.aws_server.stop()
            self.aws_server = None
        if self._log_level is not None:
            from leadflow.observability import logger

            logger.setLevel(self._log_level)
            self._log_level = None
        for patch in reversed(self._patches):
            patch.stop()
        self._patches.clear()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        from leadflow import wiring

        wiring.use_clock(None)

    # Resources ----------------------------------------------------------------------------

    def _create_resources(self, parameters: dict[str, str]) -> Intrinsics:
        tpl = self.template
        refs: dict[str, str] = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": STACK,
            "AWS::StackId": STACK_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "ServerlessRestApi": "local",
        }
        for name, declared in tpl.parameters.items():
            refs[name] = _parameter(name, declared, parameters.get(name, str(declared.get("Default", ""))))
        attrs: dict[str, dict[str, str]] = {}
        for logical_id in tpl.functions:
            refs[logical_id] = logical_id
            attrs[logical_id] = {"Arn": self.lambdas.arn(logical_id)}
        intrinsics = Intrinsics(refs, attrs, tpl.conditions)
        self._register_functions(intrinsics)

        sqs = boto3.client("sqs", region_name=REGION)
        for logical_id in tpl.of_type("AWS::SQS::Queue"):
            url = sqs.create_queue(QueueName=f"{STACK}-{logical_id}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            self.queue_urls[logical_id] = refs[logical_id] = url
            attrs[logical_id] = {"Arn": arn, "QueueName": f"{STACK}-{logical_id}", "QueueUrl": url}
        for logical_id, res in tpl.of_type("AWS::SQS::Queue").items():
            props = intrinsics.resolve(res.get("Properties", {}))
            queue_attrs = {
                k: str(v) for k, v in props.items() if k in ("VisibilityTimeout", "MessageRetentionPeriod")
            }
            if self.options.visibility_timeout_s is not None:
                queue_attrs["VisibilityTimeout"] = str(self.options.visibility_timeout_s)
            if "RedrivePolicy" in props:
                queue_attrs["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
            if queue_attrs:
                sqs.set_queue_attributes(QueueUrl=self.queue_urls[logical_id], Attributes=queue_attrs)

        sns = boto3.client("sns", region_name=REGION)
        for logical_id in tpl.of_type("AWS::SNS::Topic"):
            arn = sns.create_topic(Name=f"{STACK}-{logical_id}")["TopicArn"]
            self.topic_arns[logical_id] = refs[logical_id] = arn
            attrs[logical_id] = {"TopicArn": arn, "TopicName": f"{STACK}-{logical_id}"}

        secrets = boto3.client("secretsmanager", region_name=REGION)
        for logical_id, res in tpl.of_type("AWS::SecretsManager::Secret").items():
            value = intrinsics.resolve(res.get("Properties", {}).get("SecretString", ""))
            arn = secrets.create_secret(Name=f"{STACK}-{logical_id}", SecretString=str(value))["ARN"]
            refs[logical_id] = arn
            attrs[logical_id] = {"Id": arn}

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for logical_id, res in tpl.of_type("AWS::DynamoDB::Table").items():
            props = res.get("Properties", {})
            name = f"{STACK}-{logical_id}"
            dynamodb.create_table(
                TableName=name,
                AttributeDefinitions=props["AttributeDefinitions"],
                KeySchema=props["KeySchema"],
                BillingMode="PAY_PER_REQUEST",
            )
            self.table_names[logical_id] = refs[logical_id] = name
            attrs[logical_id] = {"Arn": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"}

        sfn = boto3.client("stepfunctions", region_name=REGION)
        for logical_id, res in tpl.of_type("AWS::Serverless::StateMachine").items():
            text, substitutions = tpl.state_machine_definition(logical_id)
            for key, value in substitutions.items():
                text = text.replace("${" + key + "}", str(intrinsics.resolve(value)))
            name = intrinsics.resolve(res.get("Properties", {}).get("Name", f"{STACK}-{logical_id}"))
            arn = sfn.create_state_machine(
                name=name,
                definition=text,
                roleArn=f"arn:aws:iam::{ACCOUNT}:role/{STACK}-sfn",
                type=res.get("Properties", {}).get("Type", "STANDARD"),
            )["stateMachineArn"]
            self.state_machine_arns[logical_id] = refs[logical_id] = arn
            attrs[logical_id] = {"Arn": arn, "Name": name}

        for source in tpl.sqs_sources:
            if source.queue not in self.queue_urls:
                raise TemplateError(f"{source.function}: SQS event source names unknown queue {source.queue}")
            arn = attrs[source.queue]["Arn"]
            self.pollers.append(
                SqsPoller(source, sqs, self.queue_urls[source.queue], arn, self.lambdas, REGION)
            )
        return intrinsics

    def _register_functions(self, intrinsics: Intrinsics) -> None:
        for logical_id, spec in self.template.functions.items():
            timeout = float(intrinsics.resolve(spec.timeout) or DEFAULT_TIMEOUT_S)
            # Left out when the template's `!If` says AWS::NoValue: the function is unreserved.
            reserved = intrinsics.resolve({"Value": spec.reserved_concurrency}).get("Value")
            self.lambdas.register(
                logical_id,
                spec.handler,
                self.options.function_timeout_s or timeout,
                None if reserved is None else int(reserved),
            )

    def _function_environment(self, intrinsics: Intrinsics) -> dict[str, str]:
        # All functions share this process's environment, so two functions may not disagree.
        merged: dict[str, tuple[str, str]] = {}
        for logical_id, spec in self.template.functions.items():
            for key, raw in spec.environment.items():
                value = str(intrinsics.resolve(raw))
                if key in merged and merged[key][1] != value:
                    raise TemplateError(
                        f"{logical_id} sets {key} differently from {merged[key][0]}; "
                        "the local runtime runs all functions in one process"
                    )
                merged[key] = (logical_id, value)
        return {k: v for k, (_, v) in merged.items()}

    def _abort_running_executions(self) -> None:
        # The engine runs executions on threads of their own; without this they would go on
        # waking up (SLA timers) against an emulator that is gone.
        if not self.state_machine_arns:
            return
        sfn = boto3.client("stepfunctions", region_name=REGION)
        for arn in self.state_machine_arns.values():
            pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=arn, statusFilter="RUNNING")
            for page in pages:
                for execution in page["executions"]:
                    self._stop_execution(sfn, execution["executionArn"])

    @staticmethod
    def _stop_execution(sfn: Any, arn: str) -> None:
        for _ in range(50):
            try:
                sfn.stop_execution(executionArn=arn, cause="local runtime stopped")
                return
            except AttributeError:
                # The emulator cannot stop an execution whose thread has not started yet; left
                # alone it would start later and run against an emulator that is gone.
                time.sleep(0.02)

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    # Conveniences for the demo, the CLI and the tests ---------------------------------

    @property
    def client_secret(self) -> str:
        """The HubSpot app's client secret the functions verify signatures with."""
        return self.options.client_secret or local_secret("HUBSPOT_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)

    @property
    def signals_secret(self) -> str:
        """The secret POST /signals checks signatures with (once started)."""
        return self._secrets["SignalsSecret"]

    @property
    def workflow_api_key(self) -> str:
        """The key a workflow's "Send a webhook" may authenticate with (once started)."""
        return self._secrets["WorkflowApiKey"]

    @property
    def api_url(self) -> str:
        """The base URL of the local API."""
        assert self.api is not None
        return f"http://{self.options.host}:{self.api.port}"

    @property
    def journey_arn(self) -> str:
        """The ARN of the lead journey state machine."""
        return self.state_machine_arns["LeadJourneyStateMachine"]

    def start_journey(self, contact_id: str, *, fast_track: bool = False) -> str:
        """Start a journey for a contact directly (as the lead-events function would); its execution ARN."""
        mql_at = self.clock.now()
        state = JourneyState(
            journey_id=execution_name(contact_id, mql_at),
            contact_id=contact_id,
            mql_at=mql_at,
            score=0,
            mql_reason="started by hand",
            fast_track=fast_track,
        )
        sfn = boto3.client("stepfunctions", region_name=REGION)
        answer = sfn.start_execution(
            stateMachineArn=self.journey_arn, name=state.journey_id, input=state.model_dump_json()
        )
        return str(answer["executionArn"])

    @staticmethod
    def history(execution_arn: str) -> list[dict[str, Any]]:
        """An execution's whole history so far, oldest first (every page)."""
        sfn: Any = boto3.client("stepfunctions", region_name=REGION)
        pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        return [event for page in pages for event in page["events"]]

    @staticmethod
    def states_entered(execution_arn: str) -> list[str]:
        """Every state an execution entered so far, in order."""
        events = LocalRuntime.history(execution_arn)
        return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]

    def _running_executions(self) -> int:
        return len(stepfunctions_parser_backends[ACCOUNT][REGION]._get_executions(ExecutionStatus.RUNNING))

    def _consumers(self) -> list[SqsPoller]:
        """The pollers that run: all of them, but the lead-events queue's without `consume_queues`."""
        return [p for p in self.pollers if self.options.consume_queues or p.source.queue != EVENTS_QUEUE]

    def _quiet(self) -> bool:
        """Nothing moves until the clock does: no queued event or hand-off, no function running, and every
        running execution waits for a task token (other than its hand-off's)."""
        queues = {EVENTS_QUEUE} | {p.source.queue for p in self._consumers()}
        return (
            all(self.queue_depth(queue) == 0 for queue in queues)
            and not any(p.busy for p in self.pollers)
            and not any(w.is_alive() for w in self._async_invocations)
            and self._running_executions() == self._waits.blocked
        )

    def settle(self, timeout_s: float = 30.0) -> None:
        """Block until the runtime is quiet (seen twice in a row: a step between two states is not missed)."""
        wait_for(
            lambda: self._quiet() and self._quiet(), timeout_s=timeout_s, what="the local runtime to settle"
        )

    def advance(self, **delta: float) -> None:
        """Let time pass (`advance(hours=4)`): the waits whose deadline it passes time out; returns once
        the journeys have moved on and settled again."""
        self.settle()
        self.clock.advance(timedelta(**delta))
        self.settle()

    def deliver_webhooks(self) -> int:
        """Send what the HubSpot app's subscriptions caught on the stand-in (a lead's stage and decision
        reason) to leadflow's webhook, signed; the events sent (queued: `settle()` waits for their work)."""
        assert self.standin is not None, "the subscriptions live on the HubSpot stand-in"
        changes = self.standin.store.webhooks.take()
        if self._app_webhooks is None:
            # One sender for the runtime's life: HubSpot's event ids never repeat.
            url = self.api_url + "/webhooks/hubspot"
            self._app_webhooks = HubSpotWebhookSender(
                url, self.client_secret, subscription_id=2001, clock=self.clock.now
            )
        for answer in self._app_webhooks.deliver(changes):
            if answer.status != 200:
                raise RuntimeError(f"leadflow answered {answer.status} to a webhook delivery: {answer.body}")
        return len(changes)

    def workflows(self) -> Workflows:
        """HubSpot's workflow engine on the stand-in, calling this runtime's API; its retries let the
        local clock run (a standing clock is moved forward by each pause)."""
        assert self.standin is not None, "workflows run on the HubSpot stand-in"
        return Workflows(self.standin, self.client_secret, wait=self._let_time_pass)

    def _let_time_pass(self, seconds: float) -> None:
        if self.clock.scale is None:
            self.advance(seconds=seconds)
        else:
            time.sleep(seconds / self.clock.scale)

    def queue_depth(self, logical_id: str = EVENTS_QUEUE) -> int:
        """Messages visible or in flight in a queue."""
        sqs = boto3.client("sqs", region_name=REGION)
        attrs = sqs.get_queue_attributes(
            QueueUrl=self.queue_urls[logical_id],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def wait_until_drained(self, timeout_s: float = 30.0) -> None:
        """Block until the lead-events queue is empty and no batch is being processed."""
        wait_for(
            lambda: self.queue_depth() == 0 and not any(p.busy for p in self.pollers),
            timeout_s=timeout_s,
            what="the lead-events queue to drain",
        )
