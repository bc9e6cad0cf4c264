"""Bad context stops the synth with the key at fault and what to write instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.config import ConfigError, Settings

SHIPPED = json.loads((Path(__file__).resolve().parents[2] / "cdk.json").read_text())["context"]
EXISTING = {
    "networkMode": "existing",
    "vpcId": "vpc-0a1b2c3d4e5f60718",
    "subnetIds": "subnet-0a1b2c3d4e5f60001",
    "auroraSecurityGroupId": "sg-0a1b2c3d4e5f60003",
}


def settings_from(**overrides: Any) -> Settings:
    context = {**SHIPPED, **overrides}
    return Settings.from_context(context.get)


def test_the_shipped_context_gives_the_documented_defaults():
    settings = settings_from()
    assert settings.vector_bucket_name == "s3vl-vectors"
    assert settings.kms_key_arn == ""
    assert [(i.name, i.dimension, i.metric) for i in settings.indexes] == [
        ("products", 384, "cosine")
    ]
    assert settings.network.mode == "new"
    assert (settings.function.architecture, settings.function.memory_mb) == ("arm64", 512)
    assert settings.function.reserved_concurrency is None
    assert settings.function.snap_start is False
    assert settings.aurora_cluster_id == ""


def test_command_line_strings_are_read_like_json_values():
    settings = settings_from(
        indexes='[{"name": "docs", "dimension": 8, "metric": "euclidean"}]',
        memoryMb="2048",
        reservedConcurrency="5",
        snapStart="true",
        **{
            **EXISTING,
            "subnetIds": "subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002",
            "natEgress": "true",
        },
    )
    assert settings.indexes[0].metric == "euclidean"
    assert settings.function.memory_mb == 2048
    assert settings.function.reserved_concurrency == 5
    assert settings.function.snap_start is True
    assert settings.network.subnet_ids == ("subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002")
    assert settings.network.nat_egress is True


@pytest.mark.parametrize(
    ("overrides", "named", "advice"),
    [
        ({"vectorBucketName": "My_Bucket"}, "'vectorBucketName'", "lowercase letters"),
        ({"kmsKeyArn": "alias/mine"}, "'kmsKeyArn'", "arn:aws:kms:REGION"),
        ({"indexes": []}, "'indexes'", "non-empty JSON list"),
        ({"indexes": "[{"}, "'indexes'", "not valid JSON"),
        ({"indexes": [{"name": "ab", "dimension": 3}]}, "indexes[0]'.name", "3-63"),
        ({"indexes": [{"name": "abc", "dimension": 5000}]}, "indexes[0]'.dimension", "4096"),
        ({"indexes": [{"name": "abc", "dimension": True}]}, "indexes[0]'.dimension", "whole"),
        ({"indexes": [{"name": "abc", "dimension": 3, "metric": "dot"}]}, ".metric", "cosine"),
        (
            {
                "indexes": [
                    {"name": "abc", "dimension": 3, "nonFilterableKeys": list("abcdefghijk")}
                ]
            },
            ".nonFilterableKeys",
            "at most 10",
        ),
        ({"indexes": [{"name": "abc", "dimension": 3, "size": 1}]}, "indexes[0]'", "unknown"),
        (
            {"indexes": [{"name": "abc", "dimension": 3}, {"name": "abc", "dimension": 4}]},
            "'indexes'",
            "repeated",
        ),
        ({"retainVectorStore": "no"}, "'retainVectorStore'", "true or false"),
        ({"networkMode": "shared"}, "'networkMode'", "'new' or 'existing'"),
        ({**EXISTING, "vpcId": ""}, "'vpcId'", "vpc-"),
        ({**EXISTING, "subnetIds": ""}, "'subnetIds'", "subnet ids"),
        ({**EXISTING, "subnetIds": "subnet-xyz"}, "'subnetIds'", "subnet-0123456789abcdef0"),
        ({**EXISTING, "auroraSecurityGroupId": "sg-1"}, "'auroraSecurityGroupId'", "sg-"),
        ({**EXISTING, "natEgress": "yes"}, "'natEgress'", "true or false"),
        ({**EXISTING, "egressPrefixListIds": "pl-zz"}, "'egressPrefixListIds'", "pl-0123"),
        ({"architecture": "arm"}, "'architecture'", "'arm64' or 'x86_64'"),
        ({"memoryMb": "lots"}, "'memoryMb'", "whole number"),
        ({"timeoutSeconds": 901}, "'timeoutSeconds'", "between 3 and 900"),
        ({"reservedConcurrency": 0}, "'reservedConcurrency'", "between 1"),
        ({"logRetentionDays": 10}, "'logRetentionDays'", "CloudWatch"),
        ({"snapStart": "on"}, "'snapStart'", "true or false"),
    ],
)
def test_a_bad_context_value_is_refused_naming_the_key_and_the_fix(overrides, named, advice):
    with pytest.raises(ConfigError) as refused:
        settings_from(**overrides)
    assert named in str(refused.value)
    assert advice in str(refused.value)
