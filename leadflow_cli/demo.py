"""`leadflow demo`: the whole lead handoff, end to end, on the local runtime.

Seeds the teams and a set of contacts in the HubSpot stand-in, sends signed webhooks to
the local API, plays the reps and HubSpot's engagement stamps (accepting, rejecting,
recycling, logging calls, booking meetings, or letting the SLA run out), prints the
journeys' timeline as it happens and checks every outcome.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import boto3
import yaml

from leadflow.core.config import load_config
from leadflow.core.journey_record import contact_of
from leadflow.core.lifecycle import LeadProp, Prop
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli import hubspot_project
from leadflow_cli.funnel import Funnel, print_report, report
from leadflow_cli.hubspot_standin import StandInStore
from leadflow_cli.hubspot_standin.workflows import CustomAction, Execution, Workflows
from leadflow_cli.journeys_cmd import list_journeys
from leadflow_cli.local.receiver import NotificationReceiver
from leadflow_cli.local.runtime import REGION, LocalOptions, LocalRuntime
from leadflow_cli.webhook_sender import HubSpotWebhookSender

TEAM = [
    ("ada@example.com", "Ada", "Lovelace"),
    ("grace@example.com", "Grace", "Hopper"),
    ("linus@example.com", "Linus", "Torvalds"),
    ("queue@example.com", "Sales", "Queue"),
]

_FIT = {"industry": "COMPUTER_SOFTWARE", "numemployees": "500-1000", "country": "Germany"}


@dataclass(frozen=True)
class Move:
    """One thing a rep (or HubSpot, for engagements) does once the journey waits for it."""

    waits_for: str  # "decision" or "engagement" (the state the journey must be in)
    prop: str  # the property that changes
    value: str = ""  # its new value (engagements are stamped with the current time)
    after_escalations: int = 0  # only once the SLA has been missed this many times
    on: str = "contact"  # or "lead": the rep works the journey's HubSpot Lead


@dataclass
class Lead:
    """A scripted contact: its properties, what happens to it, and the outcome that must follow."""

    name: str
    properties: dict[str, str]
    script: list[Move]
    expected: str  # "sql (<policy>)", "recycled (<reason>)", "rejected (<reason>)", "fallback", "not_mql"
    via_workflow: bool = False  # handed off by a HubSpot workflow's "Hand off with leadflow" action
    contact_id: str = ""
    seen_states: list[str] = field(default_factory=list)
    done: int = 0  # moves made so far

    @property
    def branch(self) -> str:
        """The branch a workflow blocked on this lead's journey must resume on."""
        return "no_response" if self.expected.endswith("(no_response)") else self.expected.split(" ")[0]


def _accept(after: int = 0) -> Move:
    return Move("decision", Prop.DECISION, "accept", after)


def _engage(prop: str) -> Move:
    return Move("engagement", prop)


def _work_lead(stage: str = "", reason: str = "") -> Move:
    """The rep moves the lead to a stage, or gives the reason of its disqualification."""
    return Move("decision", Prop.DECISION_REASON if reason else LeadProp.STAGE, reason or stage, on="lead")


def _leads() -> list[Lead]:
    talk = {"recent_conversion_event_name": "Talk to sales"}
    call, reply, meeting = (
        Prop.CONNECTED_CALL_AT,
        "hs_sales_email_last_replied",
        "engagements_last_meeting_booked",
    )
    return [
        Lead(
            "Maya Chen",
            {**_FIT, **talk, "jobtitle": "Head of RevOps"},
            [_accept(), _engage(call)],
            "sql (engagement_required)",
        ),
        Lead(
            "Noah Park",
            {**_FIT, **talk, "numemployees": "1000+", "jobtitle": "VP Revenue"},
            [],
            "sql (fast_track)",
        ),
        Lead(
            "Zoe Fischer",
            {**_FIT, **talk, "numemployees": "50-100", "jobtitle": "Founder"},
            # The sdr team works leads: moving the lead to Connected accepts it.
            [_work_lead("connected-stage-id"), _engage(call), _engage(meeting)],
            "sql (meeting_booked)",
        ),
        Lead(
            "Tom Berger",
            {
                "industry": "FINANCIAL_SERVICES",
                "numemployees": "500-1000",
                "jobtitle": "VP Sales",
                "recent_conversion_event_name": "Demo request",
            },
            [_accept(after=1), _engage(reply)],
            "sql (engagement_required)",
        ),
        Lead(
            "Ravi Mehta",
            {**_FIT, **talk, "jobtitle": "Director of Sales"},
            [_accept()],
            "recycled (no_response)",
        ),
        Lead(
            "Ines Duarte",
            {
                "industry": "INFORMATION_TECHNOLOGY_AND_SERVICES",
                "numemployees": "50-100",
                "country": "France",
                "jobtitle": "Marketing Ops Manager",
                **talk,
            },
            # Disqualified without a reason: refused with a note on the lead; the reason completes it.
            [_work_lead("unqualified-stage-id"), _work_lead(reason="not_icp")],
            "rejected (not_icp)",
        ),
        Lead(
            "Sam Okafor",
            {
                **_FIT,
                "jobtitle": "Head of Sales",
                "hs_analytics_last_url": "https://x.example/pricing",
                **talk,
            },
            [
                Move("decision", Prop.DECISION_REASON, "bad_timing"),
                Move("decision", Prop.DECISION, "recycle"),
            ],
            "recycled (bad_timing)",
        ),
        Lead("Lea Novak", {**_FIT, "recent_conversion_event_name": "Contact sales"}, [], "fallback"),
        Lead(
            "Wes Walker",
            {**_FIT, **talk, "jobtitle": "VP Sales"},
            [_accept(), _engage(reply)],
            "sql (engagement_required)",
            via_workflow=True,
        ),
        Lead("Kim Student", {**_FIT, **talk, "jobtitle": "Student"}, [], "not_mql"),
        Lead("Ola Small", {"industry": "RETAIL", "numemployees": "1-5"}, [], "not_mql"),
        Lead("Rita Rival", {**_FIT, **talk, "company": "Rivalsoft"}, [], "not_mql"),
    ]


class Timeline:
    """Prints what happens, stamped with the business time passed since the demo began."""

    def __init__(self, out: TextIO, quiet: bool) -> None:
        self._out = out
        self._quiet = quiet
        self._clock: Callable[[], datetime] | None = None
        self._t0: datetime | None = None

    def follow(self, clock: Callable[[], datetime]) -> None:
        """Stamp lines with this clock's time from now on."""
        self._clock, self._t0 = clock, clock()

    def say(self, text: str) -> None:
        """Print one line of the timeline."""
        if self._quiet:
            return
        minutes = int((self._clock() - self._t0).total_seconds() // 60) if self._clock and self._t0 else 0
        print(f"[+{minutes // 60:02d}:{minutes % 60:02d}] {text}", file=self._out, flush=True)


# The demo shortens the qualification window (14 days in the shipped configuration) so that
# a lead nobody engages with is recycled as "no response" while you watch.
DEMO_QUALIFICATION_DAYS = 0.25
# The team whose reps work HubSpot Leads in the prospecting workspace, in the demo.
LEAD_TEAM = "sdr"


def demo_config(directory: Path) -> Path:
    """The shipped configuration with the demo's shorter qualification window."""
    data = yaml.safe_load(DEFAULT_CONFIG_FILE.read_text(encoding="utf-8"))
    for team in data["routing"]["teams"].values():
        team["qualification_days"] = DEMO_QUALIFICATION_DAYS
    data["routing"]["teams"][LEAD_TEAM]["handoff"] = "lead"
    path = directory / "leadflow.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    load_config(path)
    return path


def run_demo(template: Path = Path("template.yaml"), as_json: bool = False, out: TextIO = sys.stdout) -> int:
    """Run the demo; returns the process exit code (0 when every outcome is as expected)."""
    with tempfile.TemporaryDirectory(prefix="leadflow-demo-") as scratch:
        config_file = demo_config(Path(scratch))
        # The demo's HubSpot app is the project `leadflow hubspot project` makes from its configuration:
        # what the stand-in installs (subscriptions, workflow actions) is what `hs project upload` would.
        project_dir = Path(scratch) / "hubspot"
        hubspot_project.write(load_config(config_file), project_dir)
        return _run(template, as_json, out, config_file, project_dir)


def _run(template: Path, as_json: bool, out: TextIO, config_file: Path, project_dir: Path) -> int:
    config = load_config(config_file)
    timeline = Timeline(out, quiet=as_json)
    leads = _leads()
    # The functions log JSON to stdout; the demo shows its own timeline instead, and with
    # --json stdout must hold nothing but the summary.
    log_level = "CRITICAL" if as_json else "WARNING"
    # Escalations notify a Slack-style webhook; a local receiver shows what the channel would get.
    with NotificationReceiver() as channel:
        # The clock stands still until the demo moves it to the next deadline: the outcomes follow
        # from the script alone, however fast the machine is.
        options = LocalOptions(
            template=template,
            port=0,
            time_scale=None,
            config_file=config_file,
            project_dir=project_dir,
            extra_env={"POWERTOOLS_LOG_LEVEL": log_level, "LEADFLOW_NOTIFY_URL": channel.url},
        )
        summary = _run_on(options, config, leads, timeline)
        summary["notifications"] = [body.get("text", "") for body in channel.received]
    if as_json:
        print(json.dumps(summary), file=out)
    else:
        _print_summary(summary, leads, out)
    return 0 if not summary["failures"] else 1


def _run_on(options: LocalOptions, config: Any, leads: list[Lead], timeline: Timeline) -> dict[str, Any]:
    with LocalRuntime(options) as runtime:
        assert runtime.standin is not None
        store = runtime.standin.store
        timeline.follow(runtime.clock.now)
        timeline.say(f"local runtime up: API {runtime.api_url}, HubSpot stand-in {runtime.standin.base_url}")
        timeline.say(
            f"SLA {config.sla.decision_hours:g} h; escalation ladder "
            f"{' > '.join(s.step for s in config.sla.escalation)} > fallback; qualification window "
            f"{DEMO_QUALIFICATION_DAYS * 24:g} h for the demo; time moves to each deadline as it comes"
        )
        _seed(store, leads)
        sender = HubSpotWebhookSender(
            runtime.api_url + "/webhooks/hubspot", _client_secret(), clock=runtime.clock.now
        )
        _deliver_creations(runtime, sender, leads, timeline)
        blocked = {
            lead.name: _hand_off_by_workflow(runtime, config, lead, timeline)
            for lead in leads
            if lead.via_workflow
        }
        failures = _play(runtime, sender, leads, timeline)
        branches = {name: _branch(name, *waiting, timeline) for name, waiting in blocked.items()}
        failures += [
            f"{lead.name}: its workflow resumed on {branches[lead.name]!r}, not {lead.branch!r}"
            for lead in leads
            if lead.name in branches and branches[lead.name] != lead.branch
        ]
        summary = _summary(runtime, leads, failures, webhook_requests=2 + sum(lead.done for lead in leads))
        summary["workflow_branches"] = branches
        rows = list_journeys(boto3.client("dynamodb", region_name=REGION), runtime.table_names["StateTable"])
        summary["funnel"] = {name: asdict(f) for name, f in report(rows).items()}
        return summary


def _seed(store: StandInStore, leads: list[Lead]) -> None:
    """The team as HubSpot owners, and the leads as contacts."""
    for email, first, last in TEAM:
        store.add_owner(email, first, last)
    for lead in leads:
        first, last = lead.name.split(" ", 1)
        props = {"firstname": first, "lastname": last, "email": f"{first.lower()}@prospect.example"}
        lead.contact_id = store.create_object("contacts", {**props, **lead.properties})
    store.reset_calls()


def _deliver_creations(
    runtime: LocalRuntime, sender: HubSpotWebhookSender, leads: list[Lead], timeline: Timeline
) -> None:
    """HubSpot's contact.creation webhooks (and a retry of the same delivery), and how each lead scored."""
    assert runtime.standin is not None
    batch = [sender.event("contact.creation", lead.contact_id) for lead in leads if not lead.via_workflow]
    first_delivery = sender.send(batch)
    timeline.say(
        f"HubSpot -> POST /webhooks/hubspot: {len(batch)} contact.creation events "
        f"-> {first_delivery.status} {first_delivery.body} in {first_delivery.elapsed_ms:.0f} ms"
    )
    again = sender.send(batch)
    timeline.say(
        f"HubSpot retries the same delivery -> {again.status}, queued again; "
        "the lead-events function drops the events it has done"
    )
    runtime.wait_until_drained()
    for lead in leads:
        if lead.via_workflow:
            continue
        props = runtime.standin.store.get_object("contacts", lead.contact_id)["properties"]
        verdict = "MQL" if props.get(Prop.MQL_AT) else "not MQL"
        why = props.get(Prop.MQL_REASON) or props.get(Prop.DISQUALIFIED_BY) or "below the gates"
        fast = ", fast track" if props.get(Prop.FAST_TRACK) == "true" else ""
        timeline.say(
            f"{lead.name:<12} {verdict:<7} fit {props.get(Prop.FIT_SCORE)}, "
            f"intent {props.get(Prop.INTENT_SCORE)}, tier {props.get(Prop.FIT_TIER)}{fast}: {why}"
        )


def _hand_off_by_workflow(
    runtime: LocalRuntime, config: Any, lead: Lead, timeline: Timeline
) -> tuple[Workflows, Execution]:
    """A HubSpot workflow enrolls the lead and runs the project's "Hand off with leadflow": it blocks on
    the journey."""
    app = runtime.hubspot_app
    assert app is not None
    workflows = runtime.workflows()
    action = CustomAction(app.app_id, app.actions["leadflow_handoff"])
    execution = workflows.run_action(lead.contact_id, action)
    timeline.say(
        f"{lead.name:<12} HubSpot workflow -> 'Hand off with leadflow' -> {execution.state} "
        f"(expires {execution.outputs.get('hs_expiration_duration', '-')})"
    )
    return workflows, execution


def _branch(name: str, workflows: Workflows, execution: Execution, timeline: Timeline) -> str:
    """The branch the lead's workflow took once the journey completed its callback."""
    done = workflows.finish(execution)
    branch = done.outputs.get("outcome") or done.state.lower()
    timeline.say(
        f"{name:<12} HubSpot workflow resumed ({done.state}) on branch '{branch}': "
        f"owner {done.outputs.get('owner_email') or '-'}, deal {done.outputs.get('deal_id') or '-'}"
    )
    return branch


def _client_secret() -> str:
    from leadflow_cli.local.runtime import DEFAULT_CLIENT_SECRET, local_secret

    return local_secret("HUBSPOT_CLIENT_SECRET", DEFAULT_CLIENT_SECRET)


def _executions(runtime: LocalRuntime) -> dict[str, dict[str, Any]]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return {
        e["name"]: dict(e) for e in sfn.list_executions(stateMachineArn=runtime.journey_arn)["executions"]
    }


_WAITS = {"AwaitDecision": "decision", "AwaitEngagement": "engagement"}
# Far more rounds than the script needs; a demo that still has not ended by then is stuck.
MAX_ROUNDS = 200


def _play(
    runtime: LocalRuntime, sender: HubSpotWebhookSender, leads: list[Lead], timeline: Timeline
) -> list[str]:
    """Follow every journey and make each scripted move once its journey waits for it; when nobody
    can move, let time run to the next deadline; until every journey has ended."""
    by_id = {lead.contact_id: lead for lead in leads}
    for _ in range(MAX_ROUNDS):
        runtime.settle()
        # leadflow's own writes to leads come back as the app's webhook events, as HubSpot sends them.
        runtime.deliver_webhooks()
        executions = _executions(runtime)
        moved = sum(
            _follow(runtime, sender, by_id[contact_of(name)], e, timeline) for name, e in executions.items()
        )
        if moved:
            continue
        if all(_ended(by_id[contact_of(name)], e) for name, e in executions.items()):
            break
        due = runtime.clock.pending()
        if not due:
            break
        runtime.clock.advance(due[0] - runtime.clock.now())
    runtime.wait_until_drained()
    return _check(runtime, leads)


def _ended(lead: Lead, execution: dict[str, Any]) -> bool:
    # A lead left to the fallback owner waits for them (sla.fallback_days): that is its end here.
    with_queue = lead.seen_states[-2:] == ["AssignFallback", "AwaitDecision"] and lead.expected == "fallback"
    return execution["status"] != "RUNNING" or with_queue


def _follow(
    runtime: LocalRuntime,
    sender: HubSpotWebhookSender,
    lead: Lead,
    execution: dict[str, Any],
    timeline: Timeline,
) -> int:
    """Print the states the lead's journey entered since last time; make its next move if it is due now."""
    assert runtime.standin is not None
    store = runtime.standin.store
    states = runtime.states_entered(execution["executionArn"])
    for state in states[len(lead.seen_states) :]:
        owner = store.get_object("contacts", lead.contact_id)["properties"].get(Prop.OWNER)
        shown = f" (owner {owner})" if state in ("HandOff", "Reassign", "AssignFallback") and owner else ""
        timeline.say(f"{lead.name:<12} journey -> {state}{shown}")
    lead.seen_states = states
    if lead.done >= len(lead.script) or not states:
        return 0
    move = lead.script[lead.done]
    if _WAITS.get(states[-1]) != move.waits_for or states.count("Escalate") < move.after_escalations:
        return 0
    if move.on == "lead":
        lead_id = store.get_object("contacts", lead.contact_id)["properties"][Prop.LEAD_ID]
        store.update_object("leads", lead_id, {move.prop: move.value})
        sent = runtime.deliver_webhooks()
        timeline.say(
            f"{lead.name:<12} lead {lead_id} {move.prop}={move.value} -> {sent} object.propertyChange"
        )
    else:
        app = runtime.hubspot_app
        assert app is not None
        if move.prop not in app.project.subscriptions("contacts"):
            raise RuntimeError(
                f"the HubSpot project does not subscribe to contact.propertyChange of {move.prop}"
            )
        value = move.value or str(int(runtime.clock.now().timestamp() * 1000))
        store.update_object("contacts", lead.contact_id, {move.prop: value})
        answer = sender.send([sender.event("contact.propertyChange", lead.contact_id, move.prop, value)])
        timeline.say(f"{lead.name:<12} {move.prop}={move.value or 'now'} -> webhook {answer.status}")
    lead.done += 1
    return 1


def _outcome(runtime: LocalRuntime, lead: Lead) -> str:
    from leadflow import wiring

    assert runtime.standin is not None
    props = runtime.standin.store.get_object("contacts", lead.contact_id)["properties"]
    if not lead.seen_states:
        return "not_mql" if not props.get(Prop.MQL_AT) else "no journey"
    status = props.get(Prop.JOURNEY_STATUS) or "open"
    if status == "sql":
        record = wiring.store().latest_journey(lead.contact_id)
        return f"sql ({record.sql_path if record and record.sql_path else '?'})"
    if status in ("recycled", "rejected"):
        return f"{status} ({props.get(Prop.DECISION_REASON) or '?'})"
    return status


def _check(runtime: LocalRuntime, leads: list[Lead]) -> list[str]:
    failures = []
    for lead in leads:
        got = _outcome(runtime, lead)
        if got != lead.expected:
            failures.append(f"{lead.name} (contact {lead.contact_id}): expected {lead.expected}, got {got}")
    return failures


def _summary(
    runtime: LocalRuntime, leads: list[Lead], failures: list[str], webhook_requests: int
) -> dict[str, Any]:
    assert runtime.standin is not None
    outcomes = [_outcome(runtime, lead) for lead in leads]
    calls = runtime.standin.store.call_count()
    sql = [o.removeprefix("sql (").rstrip(")") for o in outcomes if o.startswith("sql")]
    return {
        "contacts": len(leads),
        "mql": sum(1 for o in outcomes if o != "not_mql"),
        "sql": len(sql),
        "sql_by_policy": {policy: sql.count(policy) for policy in sorted(set(sql))},
        "escalated": sum(1 for lead in leads if "Escalate" in lead.seen_states),
        "fallback": outcomes.count("fallback"),
        "recycled": sum(1 for o in outcomes if o.startswith("recycled")),
        "rejected": sum(1 for o in outcomes if o.startswith("rejected")),
        "not_mql": outcomes.count("not_mql"),
        "outcomes": {lead.name: outcome for lead, outcome in zip(leads, outcomes, strict=True)},
        "journeys": len(_executions(runtime)),
        "transitions": {lead.name: len(lead.seen_states) for lead in leads if lead.seen_states},
        "leads": _lead_stages(runtime.standin.store, leads),
        "webhook_requests": webhook_requests,
        "hubspot_calls": calls,
        "hubspot_calls_per_contact": round(calls / len(leads), 2),
        "hubspot_calls_by_route": runtime.standin.store.calls_by_route(),
        # Every call on a date-based version (`legacy` counts v1-v4 paths, which HubSpot drops in 2027).
        "hubspot_calls_by_api": runtime.standin.store.calls_by_api(),
        "failures": failures,
    }


def _lead_stages(store: StandInStore, leads: list[Lead]) -> dict[str, dict[str, str]]:
    """Each HubSpot Lead the journeys opened: its id, stage and owner."""
    stages = {}
    for lead in leads:
        lead_id = store.get_object("contacts", lead.contact_id)["properties"].get(Prop.LEAD_ID)
        if lead_id:
            props = store.get_object("leads", lead_id)["properties"]
            stages[lead.name] = {
                "lead_id": lead_id,
                "stage": props[LeadProp.STAGE],
                "owner": props[Prop.OWNER],
            }
    return stages


def _print_summary(summary: dict[str, Any], leads: list[Lead], out: TextIO) -> None:
    print("\nOutcomes", file=out)
    for lead in leads:
        print(
            f"  {lead.name:<12} contact {lead.contact_id:<5} {summary['outcomes'][lead.name]:<27} "
            f"path: {' > '.join(lead.seen_states) or '(no journey)'}",
            file=out,
        )
    by_policy = ", ".join(f"{k} {v}" for k, v in summary["sql_by_policy"].items())
    print(
        f"\n  MQLs {summary['mql']}  SQL {summary['sql']} ({by_policy})  escalated {summary['escalated']}  "
        f"fallback {summary['fallback']}  recycled {summary['recycled']}  rejected {summary['rejected']}  "
        f"not MQL {summary['not_mql']}",
        file=out,
    )
    print(
        f"  HubSpot calls {summary['hubspot_calls']} ({summary['hubspot_calls_per_contact']} per contact): "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary["hubspot_calls_by_route"].items())),
        file=out,
    )
    print(
        "  HubSpot API versions: "
        + ", ".join(f"{k} {v}" for k, v in sorted(summary["hubspot_calls_by_api"].items())),
        file=out,
    )
    print("\nFunnel (leadflow report; business time as the demo's clock ran)", file=out)
    print_report({name: Funnel(**f) for name, f in summary["funnel"].items()}, out, as_json=False)
    print(f"\nHubSpot Leads (team {LEAD_TEAM} works the prospecting workspace)", file=out)
    for name, lead in summary["leads"].items():
        print(
            f"  {name:<12} lead {lead['lead_id']:<6} stage {lead['stage']:<22} owner {lead['owner']}",
            file=out,
        )
    print("\nHubSpot workflows blocked on 'Hand off with leadflow'", file=out)
    for name, branch in summary["workflow_branches"].items():
        print(f"  {name:<12} resumed on branch '{branch}'", file=out)
    print(f"\nNotifications to the team channel ({len(summary['notifications'])})", file=out)
    for text in summary["notifications"]:
        print(f"  {text}", file=out)
    if summary["failures"]:
        print("\nFAILED:", *summary["failures"], sep="\n  ", file=out)
    else:
        print("\nEvery lead ended where it should.", file=out)
