"""Application services: each one runs a use case over the core and the adapters."""
