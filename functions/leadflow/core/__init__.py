"""The pure domain core: scoring, routing choice, SLA clock and journey decisions.

Nothing in here performs I/O or reads the environment; adapters and handlers do.
"""
