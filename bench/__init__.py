"""Benchmarks of agentgen against the frameworks users would pick instead (see README.md)."""
