"""The `leadflow` command."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadflow.core.config import ConfigError
from leadflow.core.journey_record import JourneyStatus
from leadflow.settings import DEFAULT_CONFIG_FILE, SettingsError
from leadflow_cli.hubspot_project import ProjectError
from leadflow_cli.local.template import TemplateError


def _local(args: argparse.Namespace) -> int:
    from leadflow_cli.local.runtime import LocalOptions, LocalRuntime

    options = LocalOptions(
        template=args.template,
        host=args.host,
        port=args.port,
        time_scale=args.time_scale,
        hubspot_base_url=args.hubspot_url,
        config_file=args.config,
        aws_port=args.aws_port,
        project_dir=args.project,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalRuntime(options) as runtime:
        print(f"leadflow local runtime on {runtime.api_url}")
        for route in runtime.template.routes:
            print(f"  {route.method:<6} {runtime.api_url}{route.path} -> {route.function}")
        if runtime.standin:
            print(f"  HubSpot stand-in: {runtime.standin.base_url}")
        print(f"  state machine: {runtime.journey_arn} (clock {args.time_scale:g}x the wall clock)")
        print(f"  AWS APIs (moto): http://{args.host}:{args.aws_port} (for leadflow journeys --local)")
        print("Ctrl-C to stop.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from leadflow_cli.demo import run_demo

    return run_demo(template=args.template, as_json=args.json)


def _diagram(args: argparse.Namespace) -> int:
    from leadflow_cli.diagram import update_markdown

    files = sorted(Path("statemachines").glob("*.asl.json"))
    changed = [doc for doc in args.docs if update_markdown(doc, files)]
    print(f"updated {', '.join(map(str, changed))}" if changed else "diagrams are up to date")
    return 0


def _score(args: argparse.Namespace) -> int:
    from leadflow.core.config import load_config
    from leadflow_cli.explain import explain, read_input

    card = explain(load_config(args.config), read_input(args.file), sys.stdout, as_json=args.json)
    return 0 if card.is_mql or not args.fail_unless_mql else 1


def _config(args: argparse.Namespace) -> int:
    from leadflow_cli import config_cmd

    if args.action == "check":
        print(config_cmd.check(args.file, _catalog(args)))
        return 0
    text = config_cmd.schema_text()
    if args.write:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text, end="")
    return 0


def _sign_signals(args: argparse.Namespace) -> int:
    import json

    from leadflow_cli.local.runtime import DEFAULT_SIGNALS_SECRET, local_secret
    from leadflow_cli.webhook_sender import SignalsSender

    event = json.loads(args.event.read_text())
    secret = local_secret("LEADFLOW_SIGNALS_SECRET", DEFAULT_SIGNALS_SECRET)
    event["headers"] = {**event.get("headers", {}), **SignalsSender("", secret).signed_headers(event["body"])}
    print(json.dumps(event, indent=2))
    return 0


def _sign_hubspot(args: argparse.Namespace) -> int:
    import json

    from leadflow_cli.local.runtime import DEFAULT_CLIENT_SECRET, local_secret
    from leadflow_cli.webhook_sender import signed_api_event

    event = json.loads(args.event.read_text())
    secret = local_secret("HUBSPOT_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)
    print(json.dumps(signed_api_event(event, secret, os.environ.get("LEADFLOW_PUBLIC_URL", "")), indent=2))
    return 0


def _portal(args: argparse.Namespace) -> Any:
    """A HubSpot client for `--hubspot`: the portal's own property definitions (and owners)."""
    from hubspot import HubSpot

    token = _credential(
        "HUBSPOT_ACCESS_TOKEN",
        "a private app token with crm.schemas.contacts.read (and crm.objects.owners.read)",
    )
    if token is None:
        raise ConfigError("--hubspot reads the portal's property definitions with HUBSPOT_ACCESS_TOKEN")
    return HubSpot(access_token=token, host=args.base_url)


def _catalog(args: argparse.Namespace) -> Any:
    """The property definitions to read exports with: the portal's (`--hubspot`) or the shipped ones."""
    from leadflow_cli.portal_properties import PropertyCatalog

    return PropertyCatalog.from_hubspot(_portal(args)) if args.hubspot else PropertyCatalog.shipped()


def _export(args: argparse.Namespace, config: Any, path: Path) -> Any:
    from leadflow_cli.hubspot_export import HubSpotExport, properties_read

    overrides = dict(item.split("=", 1) for item in args.map)
    return HubSpotExport(
        path,
        _catalog(args),
        wanted=properties_read(config),
        overrides=overrides,
        companies=args.companies,
        time_zone=config.portal.time_zone,
    )


def _backtest(args: argparse.Namespace) -> int:
    import json

    from leadflow.core.config import load_config
    from leadflow_cli import backtest as bt

    config = load_config(args.config)
    configs = [config] + ([load_config(args.compare)] if args.compare else [])
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    export = _export(args, config, args.csv)
    reports = bt.backtest(configs, export, now=now, progress=not args.json)
    report = reports[0]
    sweeps = {
        gate: bt.sweep(report, config, gate, bt.sweep_range(config, gate, args.range)) for gate in args.sweep
    }
    if args.json:
        data = report.as_json()
        if args.compare:
            data["compare"] = {
                "config": str(args.compare),
                "mql": reports[1].mql,
                "changes": [vars(c) for c in bt.changes(report, reports[1])],
            }
        data["sweeps"] = sweeps
        print(json.dumps(data))
        return 0
    bt.print_report(report, sys.stdout)
    if args.compare:
        bt.print_changes(report, reports[1], sys.stdout)
    for gate, rows in sweeps.items():
        current = config.scoring.fit.threshold if gate == "fit" else config.scoring.intent.threshold
        bt.print_sweep(gate, rows, current, sys.stdout)
    return 0


def _replay(args: argparse.Namespace) -> int:
    import json

    from leadflow.core.config import load_config
    from leadflow_cli import replay_cmd
    from leadflow_cli.decision_model import StatedModel
    from leadflow_cli.journeys_cmd import list_journeys

    records = None
    if args.stack or args.local is not None:
        dynamodb, _sfn, table, _arn = _aws_target(args)
        records = replay_cmd.records_in(list_journeys(dynamodb, table))
    if args.export is None and records is None:
        raise ConfigError(
            "replay needs the MQLs to play: a HubSpot export, or the journeys of --stack/--local"
        )
    sides = [
        replay_cmd.Side(name, load_config(path))
        for name, path in replay_cmd.side_names(args.config, args.baseline)
    ]
    export = _export(args, sides[-1].config, args.export) if args.export else None
    stated = StatedModel(median_hours=args.decide_hours, never=args.never_decided)
    owners = replay_cmd.CompanyOwners(replay_cmd.hubspot_owners(_portal(args)) if args.hubspot else {})
    outcomes = replay_cmd.replay(
        sides, export=export, records=records, stated=stated, progress=not args.json, company_owners=owners
    )
    if args.html:
        from leadflow_cli.html_report import replay_page

        args.html.write_text(replay_page(outcomes), encoding="utf-8")
    if args.json:
        print(json.dumps(replay_cmd.as_json(outcomes, export)))
        return 0
    source = str(args.export) if args.export else "the journey records"
    replay_cmd.print_outcomes(outcomes, sys.stdout, source, changes=args.changes)
    if export is not None:
        for line in export.problems.lines():
            print(f"export: {line}")
    if owners.unnamed:
        print(
            f"export: {len(owners.unnamed):,} company owners are names, not emails "
            f"({sorted(owners.unnamed)[0]!r}...): their accounts' leads went to the rotation; "
            "--hubspot reads the portal's owners to match them"
        )
    if args.html:
        print(f"wrote {args.html}")
    return 0


def _credential(name: str, what: str) -> str | None:
    """A credential from the environment; None, having said what to set, when it is missing."""
    value = os.environ.get(name, "")
    if not value:
        print(f"leadflow: set {name} to {what}", file=sys.stderr)
        return None
    return value


def _bootstrap(args: argparse.Namespace) -> int:
    from leadflow.adapters.hubspot_api import HubSpotApi
    from leadflow.core.config import load_config
    from leadflow_cli.hubspot_bootstrap import BootstrapError, bootstrap

    config = load_config(args.config)
    leads = config.journey.leads if config.uses_leads else None
    scopes = "crm.schemas.contacts.write, crm.schemas.deals.write" + (
        ", crm.objects.leads.read and crm.objects.leads.write" if leads else ""
    )
    token = _credential("HUBSPOT_ACCESS_TOKEN", f"the static token of the project's app (with {scopes})")
    if token is None:
        return 2
    try:
        report = bootstrap(HubSpotApi(token, args.base_url), leads=leads, dry_run=args.dry_run)
    except BootstrapError as exc:
        print(f"leadflow: {exc}", file=sys.stderr)
        return 1
    print(
        f"{len(report.created)} created, {len(report.updated)} updated, {len(report.unchanged)} unchanged"
        + (" (dry run: nothing written)" if args.dry_run else "")
    )
    return 0


def _actions(args: argparse.Namespace) -> int:
    from hubspot import HubSpot

    from leadflow.core.config import load_config
    from leadflow_cli.workflow_actions import ActionsError, publish

    key = _credential("HUBSPOT_DEVELOPER_KEY", "the developer account key of the HubSpot app")
    if key is None:
        return 2
    client = HubSpot(api_key=key, host=args.base_url)
    try:
        report = publish(client, args.app_id, load_config(args.config), args.url, dry_run=args.dry_run)
    except ActionsError as exc:
        print(f"leadflow: {exc}", file=sys.stderr)
        return 1
    for verb, done in (("created", report.created), ("updated", report.updated)):
        for name, definition_id in done.items():
            print(f"{verb} {name!r} (definition {definition_id})")
    print("(dry run: nothing written)" if args.dry_run else f"actions of app {args.app_id} are up to date")
    return 0


def _project(args: argparse.Namespace) -> int:
    from leadflow.core.config import load_config
    from leadflow_cli import hubspot_project

    config = load_config(args.config)
    if args.check:
        problems = hubspot_project.stale(config, args.dir) + hubspot_project.schema_problems(args.dir)
        if problems:
            print("leadflow: the HubSpot project is stale: " + "; ".join(problems), file=sys.stderr)
            print("leadflow: run `leadflow hubspot project` and commit the result", file=sys.stderr)
            return 1
        print(f"{args.dir} matches {args.config}")
        return 0
    profiles: tuple[hubspot_project.Profile, ...] = ()
    if args.stack:
        if args.account_id is None:
            raise ConfigError("--stack needs --account-id: the HubSpot account the profile uploads to")
        outputs = _stack_outputs(args.stack, args.aws_profile, args.region)
        profiles = (
            hubspot_project.Profile(
                args.hs_profile, args.account_id, outputs["WebhookUrl"], outputs["WorkflowActionsBaseUrl"]
            ),
        )
    changed = hubspot_project.write(config, args.dir, profiles)
    for path in changed:
        print(f"wrote {path}")
    print(f"{args.dir} is up to date" if not changed else f"then: cd {args.dir} && hs project upload")
    return 0


def _stack_outputs(stack: str, profile: str | None, region: str | None) -> dict[str, str]:
    import boto3

    session = boto3.Session(profile_name=profile, region_name=region)
    found = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def _aws_target(args: argparse.Namespace) -> tuple[Any, Any, str, str]:
    """DynamoDB and Step Functions clients, the table name and the state machine ARN to read."""
    import boto3

    if args.local is not None:
        from leadflow_cli.local.runtime import REGION, STACK

        local = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION)  # noqa: S106
        endpoint = f"http://127.0.0.1:{args.local}"
        sfn = local.client("stepfunctions", endpoint_url=endpoint)
        # The runtime serves the template's one state machine, named as the template names it.
        (machine,) = sfn.list_state_machines()["stateMachines"]
        return (
            local.client("dynamodb", endpoint_url=endpoint),
            sfn,
            f"{STACK}-StateTable",
            machine["stateMachineArn"],
        )
    if not args.stack:
        raise ConfigError("name a deployed stack with --stack NAME, or the local runtime with --local PORT")
    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    outputs = _stack_outputs(args.stack, args.profile, args.region)
    return (
        session.client("dynamodb"),
        session.client("stepfunctions"),
        outputs["StateTableName"],
        outputs["LeadJourneyStateMachineArn"],
    )


def _journeys(args: argparse.Namespace) -> int:
    from leadflow_cli.journeys_cmd import list_journeys, print_rows

    dynamodb, _sfn, table, _arn = _aws_target(args)
    rows = list_journeys(
        dynamodb, table, status=args.status, owner=args.owner, stuck=args.stuck, min_age_hours=args.older_than
    )
    print_rows(rows, sys.stdout, args.json)
    return 0


def _report(args: argparse.Namespace) -> int:
    import json
    from dataclasses import asdict

    from leadflow.core.config import load_config
    from leadflow_cli.calibration import calibrate, print_calibration
    from leadflow_cli.fairness import RoutedLead, ledger, print_ledger
    from leadflow_cli.funnel import print_report, report
    from leadflow_cli.journeys_cmd import list_journeys

    config = load_config(args.config)
    dynamodb, _sfn, table, _arn = _aws_target(args)
    rows = list_journeys(dynamodb, table)
    if args.since is not None:
        rows = [r for r in rows if r.age_hours(datetime.now(UTC)) <= args.since * 24]
    funnels = report(rows)
    books = ledger((routed for r in rows if (routed := RoutedLead.of(r)) is not None), config)
    found = calibrate(rows, config)
    if args.html:
        from leadflow_cli.html_report import report_page

        speeds = [(r.decided_at - r.mql_at).total_seconds() / 60 for r in rows if r.decided_at and r.mql_at]
        scope = f"the last {args.since:g} days" if args.since is not None else "every journey"
        args.html.write_text(report_page(funnels, books, found, speeds, scope), encoding="utf-8")
    if args.json:
        data = {
            "funnel": {name: asdict(f) for name, f in funnels.items()},
            "fairness": {team: book.as_json() for team, book in books.items()},
            "calibration": found.as_json(),
        }
        print(json.dumps(data))
        return 0
    print_report(funnels, sys.stdout, as_json=False)
    print_ledger(books, sys.stdout)
    print_calibration(found, sys.stdout)
    if args.html:
        print(f"wrote {args.html}")
    return 0


def _journey(args: argparse.Namespace) -> int:
    from leadflow_cli.journeys_cmd import print_timeline, resume_journey, timeline

    dynamodb, sfn, table, arn = _aws_target(args)
    try:
        if args.resume:
            journey_id = resume_journey(dynamodb, table, sfn, args.contact_id)
            print(f"resumed journey {journey_id}: its failed step runs again", file=sys.stdout)
            return 0
        view = timeline(dynamodb, table, sfn, arn, args.contact_id)
    except LookupError as exc:
        print(f"leadflow: {exc}", file=sys.stderr)
        return 1
    print_timeline(view, sys.stdout, args.json)
    return 0


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", help="a deployed stack's name (uses your AWS profile)")
    parser.add_argument("--profile", default=None)
    parser.add_argument("--region", default=None)
    parser.add_argument(
        "--local",
        type=int,
        nargs="?",
        const=4566,
        default=None,
        metavar="PORT",
        help="the local runtime started with `leadflow local --aws-port PORT` (default 4566)",
    )
    parser.add_argument("--json", action="store_true")


def _export_options(parser: argparse.ArgumentParser) -> None:
    """How an export is read: column names, a companies export, the portal's property definitions."""
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="LABEL=property",
        help="map an export column to a property name (repeatable)",
    )
    parser.add_argument(
        "--companies", type=Path, metavar="COMPANIES.csv", help="a companies export, for company.* rules"
    )
    parser.add_argument(
        "--hubspot",
        action="store_true",
        help="read labels and dropdown options from the portal (HUBSPOT_ACCESS_TOKEN), not the defaults",
    )
    parser.add_argument("--base-url", default="https://api.hubapi.com", help="HubSpot API base URL")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="leadflow", description="Lead lifecycle engine for HubSpot.")
    # The file the functions would load, so `config check` and `score` judge the same one.
    config_file = Path(os.environ.get("LEADFLOW_CONFIG_FILE") or DEFAULT_CONFIG_FILE)
    sub = parser.add_subparsers(dest="command", required=True)

    local = sub.add_parser(
        "local", help="run template.yaml locally: API, SQS, DynamoDB, Step Functions, HubSpot"
    )
    local.add_argument("--template", type=Path, default=Path("template.yaml"))
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=3000)
    local.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="run the local clock faster: 3600 makes an hour of SLA pass in a second",
    )
    local.add_argument(
        "--hubspot-url", default=None, help="a HubSpot API base URL to use instead of the embedded stand-in"
    )
    local.add_argument("--config", type=Path, default=None, help="leadflow configuration file")
    local.add_argument(
        "--project",
        type=Path,
        default=Path("hubspot-project"),
        help="the HubSpot project the stand-in installs (its subscriptions and workflow actions)",
    )
    local.add_argument(
        "--aws-port",
        type=int,
        default=4566,
        help="also serve the emulated AWS APIs here, for `leadflow journeys --local`",
    )
    local.set_defaults(run=_local)

    demo = sub.add_parser("demo", help="run the lead handoff end to end on the local runtime")
    demo.add_argument("--template", type=Path, default=Path("template.yaml"))
    demo.add_argument("--json", action="store_true", help="print only the summary, as one JSON object")
    demo.set_defaults(run=_demo)

    score = sub.add_parser(
        "score", help="explain one contact's score from a JSON file of properties and signals"
    )
    score.add_argument(
        "file", type=Path, help='JSON: {"properties": {...}, "signals": [...], "now": optional}'
    )
    score.add_argument("--config", type=Path, default=config_file)
    score.add_argument("--json", action="store_true", help="print the score card as JSON")
    score.add_argument("--fail-unless-mql", action="store_true", help="exit 1 when the contact is not an MQL")
    score.set_defaults(run=_score)

    back = sub.add_parser("backtest", help="run the MQL definition over a HubSpot contacts export (CSV)")
    back.add_argument("csv", type=Path)
    back.add_argument("--config", type=Path, default=config_file)
    back.add_argument("--now", help="evaluate recency as of this ISO time (default: now)")
    _export_options(back)
    back.add_argument(
        "--compare", type=Path, metavar="OTHER.yaml", help="also score under this configuration"
    )
    back.add_argument(
        "--sweep",
        action="append",
        default=[],
        choices=["fit", "intent"],
        help="show the MQL count at each threshold of this gate (repeatable)",
    )
    back.add_argument("--range", metavar="LOW:HIGH[:STEP]", help="the thresholds --sweep tries")
    back.add_argument("--json", action="store_true", help="print the report as one JSON object")
    back.set_defaults(run=_backtest)

    rerun = sub.add_parser(
        "replay",
        help="replay past MQLs in simulated time: owners, shares against targets, SLA breaches, escalations",
    )
    rerun.add_argument("export", type=Path, nargs="?", help="a HubSpot contacts export (CSV)")
    rerun.add_argument("--config", type=Path, default=config_file, help="the configuration to replay")
    rerun.add_argument("--baseline", type=Path, help="also replay this one (the current), side by side")
    _export_options(rerun)
    _target_options(rerun)
    rerun.add_argument(
        "--decide-hours",
        type=float,
        default=2.0,
        metavar="H",
        help="without journey records: the median business hours a rep takes to decide (default 2)",
    )
    rerun.add_argument(
        "--never-decided",
        type=float,
        default=0.05,
        metavar="SHARE",
        help="without journey records: the share of leads a rep never decides on (default 0.05)",
    )
    rerun.add_argument(
        "--changes", type=int, default=20, metavar="N", help="owner changes to list (default 20)"
    )
    rerun.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the replay as a self-contained page"
    )
    rerun.set_defaults(run=_replay)

    config = sub.add_parser("config", help="validate the configuration file or print its JSON Schema")
    config.add_argument("action", choices=["check", "schema"])
    config.add_argument("file", type=Path, nargs="?", default=config_file)
    config.add_argument("--write", action="store_true", help="write the schema to --output")
    config.add_argument("--output", type=Path, default=Path("schema/leadflow.schema.json"))
    config.add_argument(
        "--hubspot",
        action="store_true",
        help="check rule values against the portal's dropdown options (HUBSPOT_ACCESS_TOKEN)",
    )
    config.add_argument("--base-url", default="https://api.hubapi.com", help="HubSpot API base URL")
    config.set_defaults(run=_config)

    journeys = sub.add_parser(
        "journeys", help="list journeys: filter by status, owner, age; --stuck past SLA"
    )
    _target_options(journeys)
    journeys.add_argument("--status", choices=[s.value for s in JourneyStatus])
    journeys.add_argument("--owner", help="HubSpot owner id")
    journeys.add_argument("--stuck", action="store_true", help="only journeys still waiting past their SLA")
    journeys.add_argument("--older-than", type=float, metavar="HOURS", help="only MQLs older than this")
    journeys.set_defaults(run=_journeys)

    funnel = sub.add_parser(
        "report",
        help="the handoff funnel, the fairness ledger and the calibration of scoring against decisions",
    )
    _target_options(funnel)
    funnel.add_argument("--since", type=float, metavar="DAYS", help="only MQLs of the last DAYS days")
    funnel.add_argument(
        "--config", type=Path, default=config_file, help="targets and MQL reasons read from it"
    )
    funnel.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the report as a self-contained page"
    )
    funnel.set_defaults(run=_report)

    journey = sub.add_parser("journey", help="one contact's journey: every state with its time")
    journey.add_argument("contact_id")
    journey.add_argument(
        "--resume",
        action="store_true",
        help="a failed journey waits for a human: once the cause is fixed, run its failed step again",
    )
    _target_options(journey)
    journey.set_defaults(run=_journey)

    hubspot = sub.add_parser("hubspot", help="set up a HubSpot portal for leadflow")
    hubspot_sub = hubspot.add_subparsers(dest="hubspot_command", required=True)
    boot = hubspot_sub.add_parser(
        "bootstrap",
        help=(
            "create leadflow's property groups and properties on contacts, deals and (for teams that "
            "hand off on leads) leads, after checking the lead pipeline (idempotent; HUBSPOT_ACCESS_TOKEN)"
        ),
    )
    boot.add_argument("--config", type=Path, default=config_file)
    boot.add_argument("--base-url", default="https://api.hubapi.com", help="HubSpot API base URL")
    boot.add_argument("--dry-run", action="store_true", help="only report what would change")
    boot.set_defaults(run=_bootstrap)
    project = hubspot_sub.add_parser(
        "project",
        help=(
            "write the HubSpot developer-platform project (app, webhooks, workflow actions) from the "
            "configuration; --check fails naming what is stale"
        ),
    )
    project.add_argument("--config", type=Path, default=config_file)
    project.add_argument("--dir", type=Path, default=Path("hubspot-project"), help="the project directory")
    project.add_argument("--check", action="store_true", help="write nothing; exit 1 if the project is stale")
    project.add_argument(
        "--stack", help="also write a config profile whose variables carry this deployed stack's URLs"
    )
    project.add_argument("--hs-profile", default="prod", help="that profile's name (hsprofile.<name>.json)")
    project.add_argument("--account-id", type=int, help="the HubSpot account that profile uploads to")
    project.add_argument("--aws-profile", default=None)
    project.add_argument("--region", default=None)
    project.set_defaults(run=_project)
    actions = hubspot_sub.add_parser(
        "actions",
        help=(
            "legacy apps only: create or update leadflow's custom workflow actions through the v4 "
            "definitions API (HUBSPOT_DEVELOPER_KEY); a project app gets them from `hubspot project`"
        ),
    )
    actions.add_argument("--app-id", type=int, required=True, help="the HubSpot app's id")
    actions.add_argument(
        "--url", required=True, help="where the actions live: the stack's WorkflowActionsBaseUrl output"
    )
    actions.add_argument("--config", type=Path, default=config_file)
    actions.add_argument("--base-url", default="https://api.hubapi.com", help="HubSpot's API base URL")
    actions.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    actions.set_defaults(run=_actions)
    hubspot_sign = hubspot_sub.add_parser(
        "sign",
        help=(
            "print an API Gateway event file signed v3 now, as HubSpot signs (HUBSPOT_CLIENT_SECRET, "
            "over LEADFLOW_PUBLIC_URL or the event's own URL), for sam local invoke"
        ),
    )
    hubspot_sign.add_argument("event", type=Path)
    hubspot_sign.set_defaults(run=_sign_hubspot)

    signals = sub.add_parser("signals", help="tools for POST /signals")
    signals_sub = signals.add_subparsers(dest="signals_command", required=True)
    sign = signals_sub.add_parser(
        "sign",
        help="print an API Gateway event file re-signed now (LEADFLOW_SIGNALS_SECRET), for sam local invoke",
    )
    sign.add_argument("event", type=Path)
    sign.set_defaults(run=_sign_signals)

    diagram = sub.add_parser("diagram", help="regenerate the state machine diagrams in the docs")
    diagram.add_argument(
        "docs", nargs="*", type=Path, default=[Path("docs/architecture.md"), Path("README.md")]
    )
    diagram.set_defaults(run=_diagram)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `leadflow` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (ConfigError, TemplateError, SettingsError, ProjectError) as exc:
        print(f"leadflow: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
