"""The `leadflow` command."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from leadflow.core.config import ConfigError
from leadflow.core.journey_record import JourneyStatus
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli import cli_errors
from leadflow_cli.cli_errors import CliError
from leadflow_cli.targets import Target, local_target, stack_outputs, stack_target

HUBSPOT_API = "https://api.hubapi.com"


def _local(args: argparse.Namespace) -> int:
    from leadflow_cli import local_cmd
    from leadflow_cli.local.runtime import LocalOptions

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
    return local_cmd.run(options, args.config, seed=not args.no_seed)


def _send(args: argparse.Namespace) -> int:
    from leadflow_cli import send_cmd

    return send_cmd.run(args, sys.stdout)


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


def _event_file(path: Path) -> dict[str, Any]:
    """An API Gateway event file, as `sam local invoke` takes it."""
    import json

    try:
        event = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}", cli_errors.USAGE) from None
    if not isinstance(event, dict) or not isinstance(event.get("body"), str) or "httpMethod" not in event:
        raise CliError(f"{path} is no API Gateway event (httpMethod and body)", cli_errors.USAGE)
    return event


def _sign_signals(args: argparse.Namespace) -> int:
    import json

    from leadflow_cli.local.runtime import DEFAULT_SIGNALS_SECRET, local_secret
    from leadflow_cli.webhook_sender import SignalsSender

    event = _event_file(args.event)
    secret = local_secret("LEADFLOW_SIGNALS_SECRET", DEFAULT_SIGNALS_SECRET)
    event["headers"] = {**event.get("headers", {}), **SignalsSender("", secret).signed_headers(event["body"])}
    print(json.dumps(event, indent=2))
    return 0


def _sign_hubspot(args: argparse.Namespace) -> int:
    import json

    from leadflow_cli.local.runtime import DEFAULT_CLIENT_SECRET, local_secret
    from leadflow_cli.webhook_sender import signed_api_event

    event = _event_file(args.event)
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

    return HubSpotExport(
        path,
        _catalog(args),
        wanted=properties_read(config),
        overrides=dict(args.map),
        companies=args.companies,
        time_zone=config.portal.time_zone,
    )


def _backtest(args: argparse.Namespace) -> int:
    import json

    from leadflow.core.config import load_config
    from leadflow_cli import backtest as bt

    config = load_config(args.config)
    configs = [config] + ([load_config(args.compare)] if args.compare else [])
    now = args.now or datetime.now(UTC)
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
        target = _target(args)
        records = replay_cmd.records_in(list_journeys(target.dynamodb, target.table, now=target.now))
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
    from leadflow_cli import config_cmd, hubspot_project

    config, _notes = config_cmd.validate(args.config)
    if args.check:
        problems = hubspot_project.stale(config, args.dir) + hubspot_project.schema_problems(args.dir)
        if problems:
            raise CliError(
                "the HubSpot project is stale: " + "; ".join(problems) + "; run `leadflow hubspot project` "
                "and commit the result"
            )
        print(f"{args.dir} matches {args.config}")
        return 0
    profiles: tuple[hubspot_project.Profile, ...] = ()
    if args.stack:
        if args.account_id is None:
            raise ConfigError("--stack needs --account-id: the HubSpot account the profile uploads to")
        outputs = stack_outputs(args.stack, args.aws_profile, args.region)
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


def _target(args: argparse.Namespace) -> Target:
    """What an ops command reads: the local runtime (`--local`) or a deployed stack (`--stack`)."""
    if args.local is not None:
        return local_target(args.local)
    if not args.stack:
        raise CliError("name a deployed stack with --stack NAME, or the local runtime with --local", 2)
    # Owners' names come from HubSpot (with HUBSPOT_ACCESS_TOKEN); replay's --base-url points elsewhere.
    return stack_target(args.stack, args.profile, args.region, getattr(args, "base_url", HUBSPOT_API))


def _journeys(args: argparse.Namespace) -> int:
    from leadflow_cli.journeys_cmd import list_journeys, owner_filter, print_rows

    target = _target(args)
    owners = target.owners()
    try:
        owner = owner_filter(args.owner, owners) if args.owner else None
    except LookupError as exc:
        raise CliError(str(exc), cli_errors.USAGE) from None
    rows = list_journeys(
        target.dynamodb,
        target.table,
        status=args.status,
        owner=owner,
        stuck=args.stuck,
        min_age_hours=args.older_than,
        now=target.now,
    )
    print_rows(rows, sys.stdout, args.json, target.now, owners)
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
    target = _target(args)
    rows = list_journeys(target.dynamodb, target.table, now=target.now)
    if args.since is not None:
        rows = [r for r in rows if r.age_hours(target.now) <= args.since * 24]
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

    target = _target(args)
    try:
        if args.resume:
            journey_id = resume_journey(target.dynamodb, target.table, target.sfn, args.contact_id)
            print(f"resumed journey {journey_id}: its failed step runs again", file=sys.stdout)
            return 0
        view = timeline(target, args.contact_id)
    except LookupError as exc:
        raise CliError(str(exc)) from None
    print_timeline(view, sys.stdout, args.json)
    return 0


def _target_options(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--stack", help="a deployed stack's name (uses your AWS profile)")
    where.add_argument(
        "--local",
        type=_port,
        nargs="?",
        const=4566,
        default=None,
        metavar="PORT",
        help="the local runtime started with `leadflow local --aws-port PORT` (default 4566)",
    )
    parser.add_argument("--profile", default=None, help="the AWS profile to read --stack with")
    parser.add_argument("--region", default=None, help="the stack's AWS region")
    parser.add_argument("--json", action="store_true", help="print JSON only")


def _export_options(parser: argparse.ArgumentParser) -> None:
    """How an export is read: column names, a companies export, the portal's property definitions."""
    parser.add_argument(
        "--map",
        action="append",
        type=_pair("LABEL=property"),
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
    parser.add_argument("--base-url", default=HUBSPOT_API, help="HubSpot API base URL")


class _Parser(argparse.ArgumentParser):
    """argparse, answering a mistake with one line (and exit 2) instead of the usage and the error."""

    def error(self, message: str) -> NoReturn:
        self.exit(cli_errors.USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _number(low: float, inclusive: bool, what: str) -> Any:
    """An argparse type: a number of at least (or above) `low`."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value != value or value < low or (value == low and not inclusive):  # NaN too
            raise argparse.ArgumentTypeError(f"{text} is not {what}")
        return value

    return parse


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0-65535)")
    return int(text)


def _time(text: str) -> datetime:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time (2026-12-01T09:00:00Z)") from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _pair(shape: str) -> Any:
    """An argparse type: `name=value`, as a (name, value) pair."""

    def parse(text: str) -> tuple[str, str]:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise argparse.ArgumentTypeError(f"{text!r} is not {shape}")
        return name.strip(), value

    return parse


def _add_send(sub: Any) -> None:
    """`leadflow send`: what HubSpot sends a running `leadflow local` when people act in the portal."""
    send = sub.add_parser(
        "send",
        help="play HubSpot against a running `leadflow local`: create or change a contact, decide, move a "
        "lead, run a workflow's Send a webhook, post a signal",
    )
    kinds = send.add_subparsers(dest="send_command", required=True)
    prop = _pair("name=value")

    def kind(name: str, help_text: str, contact: bool = True) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = kinds.add_parser(name, help=help_text)
        if contact:
            parser.add_argument("contact_id", help="the HubSpot contact's id")
        parser.add_argument(
            "--local",
            type=_port,
            default=4566,
            metavar="PORT",
            help="the runtime's --aws-port (default 4566)",
        )
        parser.add_argument("--json", action="store_true", help="print JSON only")
        parser.set_defaults(run=_send)
        return parser

    contact = kind("contact", "a contact created with these values: HubSpot sends contact.creation", False)
    contact.add_argument("properties", nargs="+", type=prop, metavar="name=value")
    change = kind("change", "new values on a contact: contact.propertyChange for each the app subscribes to")
    change.add_argument("properties", nargs="+", type=prop, metavar="name=value")
    decision = kind("decision", "a rep's decision on the contact (leadflow_decision and its reason)")
    decision.add_argument("decision", choices=["accept", "recycle", "reject"])
    decision.add_argument("--reason", help="the reason code (required for recycle and reject)")
    lead = kind("lead", "a rep moves the contact's HubSpot Lead to a stage (or gives its decision reason)")
    lead.add_argument("stage", nargs="?", help="a stage id or label: attempting, connected, qualified, ...")
    lead.add_argument("--reason", help="the lead's leadflow_decision_reason")
    workflow = kind("workflow", "a contact workflow's Send a webhook action enrolls the contact")
    workflow.add_argument(
        "--pick",
        action="append",
        type=_pair("key=property"),
        default=[],
        metavar="key=property",
        help="customize the body with these properties (repeatable); default: the whole record",
    )
    workflow.add_argument(
        "--api-key", action="store_true", help="authenticate with the API key instead of the signature"
    )
    signal = kind("signal", "an outside tool posts a signal about the contact to POST /signals")
    signal.add_argument("type", help="the signal's type, e.g. form_submission, page_view, conversation_reply")
    signal.add_argument("attributes", nargs="*", type=prop, metavar="name=value")
    signal.add_argument("--evidence", help="the text a rep reads")
    signal.add_argument("--at", help="when it happened, ISO 8601 (default: now on the runtime's clock)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="leadflow", description="Lead lifecycle engine for HubSpot.")
    # The file the functions would load, so `config check` and `score` judge the same one.
    config_file = Path(os.environ.get("LEADFLOW_CONFIG_FILE") or DEFAULT_CONFIG_FILE)
    sub = parser.add_subparsers(dest="command", required=True)

    local = sub.add_parser(
        "local", help="run template.yaml locally: API, SQS, DynamoDB, Step Functions, HubSpot"
    )
    local.add_argument("--template", type=Path, default=Path("template.yaml"))
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=_port, default=3000, help="the API's port (default 3000)")
    local.add_argument(
        "--time-scale",
        type=_number(1, True, "at least 1 (the clock never runs slower than the wall clock)"),
        default=1.0,
        help="run the local clock faster: 3600 makes an hour of SLA pass in a second",
    )
    local.add_argument(
        "--hubspot-url", default=None, help="a HubSpot API base URL to use instead of the embedded stand-in"
    )
    local.add_argument("--config", type=Path, default=config_file, help="leadflow configuration file")
    local.add_argument(
        "--no-seed",
        action="store_true",
        help="start the stand-in portal empty: no owners, no custom properties from the configuration",
    )
    local.add_argument(
        "--project",
        type=Path,
        default=Path("hubspot-project"),
        help="the HubSpot project the stand-in installs (its subscriptions and workflow actions)",
    )
    local.add_argument(
        "--aws-port",
        type=_port,
        default=4566,
        help="serve the emulated AWS APIs here (the AWS CLI, `leadflow journeys --local`, `leadflow send`)",
    )
    local.set_defaults(run=_local)
    _add_send(sub)

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
    back.add_argument("--now", type=_time, help="evaluate recency as of this ISO time (default: now)")
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
    config.add_argument("--base-url", default=HUBSPOT_API, help="HubSpot API base URL")
    config.set_defaults(run=_config)

    journeys = sub.add_parser(
        "journeys", help="list journeys: filter by status, owner, age; --stuck past SLA"
    )
    _target_options(journeys)
    journeys.add_argument("--status", choices=[s.value for s in JourneyStatus])
    journeys.add_argument("--owner", help="a HubSpot owner's id, email or name")
    journeys.add_argument("--stuck", action="store_true", help="only journeys still waiting past their SLA")
    journeys.add_argument(
        "--older-than",
        type=_number(0, True, "a number of hours (0 or more)"),
        metavar="HOURS",
        help="only MQLs older than this",
    )
    journeys.set_defaults(run=_journeys)

    funnel = sub.add_parser(
        "report",
        help="the handoff funnel, the fairness ledger and the calibration of scoring against decisions",
    )
    _target_options(funnel)
    funnel.add_argument(
        "--since",
        type=_number(0, False, "a number of days (more than 0)"),
        metavar="DAYS",
        help="only MQLs of the last DAYS days",
    )
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
    boot.add_argument("--base-url", default=HUBSPOT_API, help="HubSpot API base URL")
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
    actions.add_argument("--base-url", default=HUBSPOT_API, help="HubSpot's API base URL")
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
    """Entry point of the `leadflow` console script: any mistake is answered in one line on stderr."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`leadflow config check | head`): nothing more to say, to anyone.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:
        if os.environ.get(cli_errors.DEBUG_VARIABLE):
            raise
        message, code = cli_errors.explain(exc)
        print(f"leadflow: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
