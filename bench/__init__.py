"""Benchmarks and the large-schema generator."""
