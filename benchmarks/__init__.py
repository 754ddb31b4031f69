"""Benchmarks of the engine: `python -m benchmarks` prints the table (see __main__.py)."""
