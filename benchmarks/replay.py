"""Replay throughput: a 10,000-row HubSpot export replayed through the shipped configuration, one core.

The whole command's work, as `leadflow replay contacts.csv` does it: read the export (labels
mapped to values), score every row, then route every MQL and run its SLA clock and ladder in
simulated time. The import of the command and the writing of the export are not timed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.exports import write_companies, write_contacts
from benchmarks.report import Metric
from leadflow.core.config import load_config
from leadflow.settings import DEFAULT_CONFIG_FILE
from leadflow_cli.decision_model import StatedModel
from leadflow_cli.hubspot_export import HubSpotExport, properties_read
from leadflow_cli.portal_properties import PropertyCatalog
from leadflow_cli.replay_cmd import Side, replay

ROWS = 10_000


def run(rows: int = ROWS) -> list[Metric]:
    """Replay a `rows`-row export three times; the best run's seconds, and its MQLs."""
    config = load_config(DEFAULT_CONFIG_FILE)
    with tempfile.TemporaryDirectory() as folder:
        contacts = write_contacts(Path(folder) / "contacts.csv", rows)
        companies = write_companies(Path(folder) / "companies.csv", owners=("ada@example.com",))
        best, mqls = float("inf"), 0
        for _ in range(3):
            started = time.perf_counter()
            export = HubSpotExport(
                contacts,
                PropertyCatalog.shipped(),
                wanted=properties_read(config),
                companies=companies,
                time_zone=config.portal.time_zone,
            )
            (outcome,) = replay(
                [Side("shipped", config)], export=export, records=None, stated=StatedModel(), progress=False
            )
            best = min(best, time.perf_counter() - started)
            mqls = len(outcome.leads)
    return [
        Metric(f"replay_s.{rows}_rows", best, "s"),
        Metric("replay_rows_per_s", rows / best, "rows/s"),
        Metric(f"replay_mqls.{rows}_rows", mqls, "MQLs"),
    ]
