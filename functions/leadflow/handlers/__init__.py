"""Lambda entry points: thin functions that parse, call a use case and answer."""
