"""The process-wide logger and metrics (powertools), configured by POWERTOOLS_* variables."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="leadflow")
metrics = Metrics(namespace="Leadflow", service="leadflow")
