"""HubSpot's inbound requests: signatures and event payloads."""
