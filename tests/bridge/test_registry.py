"""The operation table: every name a request may give resolves to a request model and the
function that runs it, an alias to those of its operation."""

from __future__ import annotations

from s3vl_bridge import registry
from s3vl_bridge.models.common import Request


def test_every_operation_resolves_to_a_request_model_and_a_function():
    for name in registry.OPERATIONS:
        assert issubclass(registry.model_for(name), Request), name
        assert callable(registry.function_for(name)), name


def test_an_alias_resolves_to_the_model_and_function_of_its_operation():
    assert registry.model_for("ping") is registry.model_for("availability_check")
    assert registry.function_for("ping") is registry.function_for("availability_check")
