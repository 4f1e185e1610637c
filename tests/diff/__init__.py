"""Differential tests: Keel and redis-server 7.0.15 must reply with the same bytes."""
