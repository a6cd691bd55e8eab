"""The local runtime: template.yaml and the real state machine on an embedded AWS emulator."""
