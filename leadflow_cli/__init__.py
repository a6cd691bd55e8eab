"""leadflow's command line: the local runtime, the demo and operations commands.

Never deployed: this package may import moto and werkzeug, the Lambda code may not.
"""
