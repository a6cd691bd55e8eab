"""The process-wide logger and metrics (powertools), configured by POWERTOOLS_* variables."""

from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

logger = Logger(service="leadflow")
metrics = Metrics(namespace="Leadflow", service="leadflow")
# Many invocations count nothing (a routing step, an event that changed no score); powertools
# warns about each such flush, which says nothing worth a log line.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def count(name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count, **dimensions: str) -> None:
    """Record a metric; with dimensions (reason, step, ...) it is flushed on its own, as EMF requires."""
    # With POWERTOOLS_METRICS_DISABLED (the local runtime sets it) nothing is flushed, yet
    # single_metric still prints and add_metric prints on its own every 100 values.
    if is_metrics_disabled():
        return
    if not dimensions:
        metrics.add_metric(name=name, unit=unit, value=value)
        return
    with single_metric(name=name, unit=unit, value=value, namespace="Leadflow") as metric:
        metric.add_dimension(name="service", value="leadflow")
        for key, dimension in dimensions.items():
            metric.add_dimension(name=key, value=dimension or "none")
