"""Benchmarks that print tables. Never part of the pass/fail test run."""
