"""Adapters: the only code that talks to HubSpot and AWS."""
