"""A local HubSpot stand-in: a small, stateful HTTP server for the CRM endpoints leadflow uses.

The real hubspot-api-client talks to it over HTTP as it would to api.hubapi.com, so the
local runtime, the demo and the tests exercise leadflow's real HubSpot adapter.
"""

from leadflow_cli.hubspot_standin.server import HubSpotStandIn
from leadflow_cli.hubspot_standin.store import FaultPlan, StandInError, StandInStore, hubspot_time

__all__ = ["FaultPlan", "HubSpotStandIn", "StandInError", "StandInStore", "hubspot_time"]
