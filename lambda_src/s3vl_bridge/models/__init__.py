"""The requests: one pydantic model per operation (registry.py says which), built on the
shared types and selectors of common.py. Field checks are the field types'; checks across
fields are model validators, so an operation receives a request that is already whole."""
