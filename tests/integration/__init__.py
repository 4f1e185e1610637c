"""Integration tests: Keel driven through redis-py, redis-cli, redis-benchmark and raw sockets."""
