"""One function per operation (registry.py says which), grouped by what they touch: indexes,
query, read, write; pool.py is the thread pool of those that fan out."""
