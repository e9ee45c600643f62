"""Engines: one Ibis compiler of the measure model, run on DuckDB (default) or Apache Spark."""
