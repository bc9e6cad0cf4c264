"""Bedrock for embed (issue 13): InvokeModel on exactly the configured base models, the
function told which, and a private Bedrock Runtime endpoint where the VPC has no NAT."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Match
from s3vl_bridge.embedding import KNOWN_MODELS

from devstack.bedrock.catalog import MODELS as LOCAL_MODELS
from infra.config import EMBEDDING_MODELS, ConfigError, Settings
from tests.infra.conftest import COHERE, SHIPPED_CONTEXT, TITAN
from tests.infra.test_infra_iam import (
    HANDLER,
    _allow,
    _assert_statements,
    _bridge_role,
    _expected_bridge_statements,
)
from tests.infra.test_infra_network import _endpoint_services


def _model_arn(model_id: str) -> dict:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":bedrock:",
                {"Ref": "AWS::Region"},
                f"::foundation-model/{model_id}",
            ],
        ]
    }


def _environment(synth) -> dict:
    _, function = synth.only("AWS::Lambda::Function", {"Handler": HANDLER})
    return function["Properties"]["Environment"]["Variables"]


def test_the_role_may_invoke_exactly_the_configured_models(synth_embeddings):
    role = _bridge_role(synth_embeddings)
    _assert_statements(
        synth_embeddings.statements_of_role(role),
        [
            *_expected_bridge_statements(synth_embeddings),
            _allow("bedrock:InvokeModel", [_model_arn(TITAN), _model_arn(COHERE)]),
        ],
    )


def test_the_function_is_told_the_models_it_may_call(synth_embeddings):
    assert _environment(synth_embeddings)["S3VL_EMBEDDING_MODELS"] == f"{TITAN},{COHERE}"


def test_a_new_vpc_gets_a_private_bedrock_runtime_endpoint_with_the_others(synth_embeddings):
    assert _endpoint_services(synth_embeddings) == [
        "com.amazonaws.REGION.bedrock-runtime",
        "com.amazonaws.REGION.logs",
        "com.amazonaws.REGION.s3vectors",
        "com.amazonaws.REGION.xray",
    ]
    endpoints = synth_embeddings.resources("AWS::EC2::VPCEndpoint").values()
    groups = {str(e["Properties"]["SecurityGroupIds"]) for e in endpoints}
    assert len(groups) == 1  # the one group the function may send HTTPS to
    synth_embeddings.template.all_resources_properties(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface", "PrivateDnsEnabled": True}
    )
    synth_embeddings.template.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        {"Description": Match.string_like_regexp("Bedrock Runtime"), "FromPort": 443},
    )


def test_without_models_there_is_no_grant_endpoint_or_setting(synth_default):
    role = _bridge_role(synth_default)
    actions = [s["Action"] for s in synth_default.statements_of_role(role)]
    assert not any("bedrock" in str(action) for action in actions)
    assert not any("bedrock" in name for name in _endpoint_services(synth_default))
    assert "S3VL_EMBEDDING_MODELS" not in _environment(synth_default)


def test_a_vpc_with_nat_gets_the_grant_and_no_endpoint(synth_nat):
    synth_nat.template.resource_count_is("AWS::EC2::VPCEndpoint", 0)
    role = _bridge_role(synth_nat)
    assert _allow("bedrock:InvokeModel", _model_arn(TITAN)) in [
        {k: v for k, v in s.items() if k != "Sid"} for s in synth_nat.statements_of_role(role)
    ]
    assert _environment(synth_nat)["S3VL_EMBEDDING_MODELS"] == TITAN


@pytest.mark.parametrize(
    ("value", "advice"),
    [
        ("amazon.titan-embed-text-v1", "not a model the bridge can call"),
        (["cohere.embed-v4:0"], "not a model the bridge can call"),
        ({"model": TITAN}, "list of Bedrock model ids"),
        ([TITAN, 7], "list of Bedrock model ids"),
        (f"{TITAN},{TITAN}", "each model once"),
    ],
)
def test_a_bad_model_list_is_refused_naming_the_key(value, advice):
    context = {**SHIPPED_CONTEXT, "embeddingModels": value}
    with pytest.raises(ConfigError, match="'embeddingModels'") as refused:
        Settings.from_context(context.get)
    assert advice in str(refused.value)


def test_infra_the_bridge_and_the_local_bedrock_know_the_same_models():
    assert set(EMBEDDING_MODELS) == set(KNOWN_MODELS) == set(LOCAL_MODELS)
