"""Shared test support: real services and helpers used across the test suite."""
