"""Redis Cluster: Keel nodes, mixed Keel/redis-server clusters, the per-slot key index."""
