"""Least privilege, statement by statement: exact actions on exact resources."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Capture, Match

HANDLER = "s3vl_bridge.handler.lambda_handler"
INDEX_ACTIONS = [
    "s3vectors:DeleteVectors",
    "s3vectors:GetIndex",
    "s3vectors:GetVectors",
    "s3vectors:ListVectors",
    "s3vectors:PutVectors",
    "s3vectors:QueryVectors",
]
VPC_ACTIONS = [
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
]


def _normalized(statement: dict[str, Any]) -> tuple[str, str, str]:
    """(actions, resources, rest) as sorted JSON, so order inside a statement is irrelevant."""
    actions = (
        statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
    )
    resources = statement["Resource"]
    resources = resources if isinstance(resources, list) else [resources]
    rest = {k: v for k, v in statement.items() if k not in ("Action", "Resource", "Sid")}
    return (
        json.dumps(sorted(actions)),
        json.dumps(sorted(resources, key=json.dumps), sort_keys=True),
        json.dumps(rest, sort_keys=True),
    )


def _assert_statements(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert sorted(map(_normalized, actual)) == sorted(map(_normalized, expected))


def _bridge_role(synth) -> str:
    role = Capture()
    synth.template.has_resource_properties(
        "AWS::Lambda::Function", {"Handler": HANDLER, "Role": {"Fn::GetAtt": [role, "Arn"]}}
    )
    return role.as_string()


def _allow(actions: list[str] | str, resources: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def _expected_bridge_statements(synth) -> list[dict[str, Any]]:
    _, function = synth.only("AWS::Lambda::Function", {"Handler": HANDLER})
    log_group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    queue_id, _ = synth.only("AWS::SQS::Queue")
    bucket_id, _ = synth.only("AWS::S3Vectors::VectorBucket")
    index_ids = sorted(synth.resources("AWS::S3Vectors::Index"))
    return [
        _allow(["logs:CreateLogStream", "logs:PutLogEvents"], {"Fn::GetAtt": [log_group, "Arn"]}),
        _allow(VPC_ACTIONS, "*"),
        _allow("sqs:SendMessage", {"Fn::GetAtt": [queue_id, "Arn"]}),
        _allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"),
        _allow(INDEX_ACTIONS, [{"Fn::GetAtt": [index, "IndexArn"]} for index in index_ids]),
        _allow("s3vectors:ListIndexes", {"Fn::GetAtt": [bucket_id, "VectorBucketArn"]}),
    ]


def test_the_bridge_role_holds_exactly_the_statements_it_needs(synth_default):
    role = _bridge_role(synth_default)
    _assert_statements(
        synth_default.statements_of_role(role), _expected_bridge_statements(synth_default)
    )


def test_the_bridge_role_covers_every_index_and_the_bucket_key_when_kms_is_used(synth_existing):
    role = _bridge_role(synth_existing)
    expected = [
        *_expected_bridge_statements(synth_existing),
        _allow(["kms:Decrypt", "kms:GenerateDataKey"], synth_existing.context["kmsKeyArn"]),
    ]
    _assert_statements(synth_existing.statements_of_role(role), expected)


def test_the_only_wildcard_resources_are_the_ones_aws_requires(every_synth):
    role = _bridge_role(every_synth)
    wildcard = [
        sorted(s["Action"]) for s in every_synth.statements_of_role(role) if s["Resource"] == "*"
    ]
    assert sorted(wildcard) == sorted(
        [VPC_ACTIONS, ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]]
    )


def test_no_role_of_ours_carries_a_managed_policy(synth_default):
    bridge_role = _bridge_role(synth_default)
    aurora_role = _aurora_role(synth_default)
    roles = synth_default.template.to_json()["Resources"]
    for role in (bridge_role, aurora_role):
        assert "ManagedPolicyArns" not in roles[role]["Properties"]


def _aurora_role(synth) -> str:
    [role_id] = [
        key
        for key, role in synth.resources("AWS::IAM::Role").items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "rds.amazonaws.com"}
    ]
    return role_id


def test_aurora_may_assume_its_role_only_as_rds_for_this_account(synth_default):
    role = synth_default.template.to_json()["Resources"][_aurora_role(synth_default)]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {
            "Action": "sts:AssumeRole",
            "Effect": "Allow",
            "Principal": {"Service": "rds.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
        }
    ]


def test_the_aurora_role_may_only_invoke_the_live_alias(every_synth):
    alias_id, _ = every_synth.only("AWS::Lambda::Alias", {"Name": "live"})
    _assert_statements(
        every_synth.statements_of_role(_aurora_role(every_synth)),
        [_allow("lambda:InvokeFunction", {"Ref": alias_id})],
    )


def test_without_a_cluster_identifier_no_custom_resource_is_created(synth_default):
    synth_default.template.resource_count_is("Custom::AWS", 0)


def test_a_cluster_identifier_associates_the_role_with_the_cluster_for_lambda(synth_existing):
    role = _aurora_role(synth_existing)
    _, association = synth_existing.only("Custom::AWS")
    properties = association["Properties"]

    def call(phase: str) -> dict[str, Any]:
        parts = properties[phase]["Fn::Join"][1]
        text = "".join(part if isinstance(part, str) else "ROLE_ARN" for part in parts)
        assert {"Fn::GetAtt": [role, "Arn"]} in parts
        return json.loads(text)

    expected_parameters = {
        "DBClusterIdentifier": "orders-cluster",
        "RoleArn": "ROLE_ARN",
        "FeatureName": "Lambda",
    }
    create, update, delete = call("Create"), call("Update"), call("Delete")
    assert (create["service"], create["action"]) == ("RDS", "addRoleToDBCluster")
    assert create["parameters"] == expected_parameters
    assert update["action"] == "addRoleToDBCluster"
    assert update["ignoreErrorCodesMatching"] == "DBClusterRoleAlreadyExists"
    assert (delete["action"], delete["parameters"]) == (
        "removeRoleFromDBCluster",
        expected_parameters,
    )
    assert properties["InstallLatestAwsSdk"] is False


def test_the_association_may_only_touch_that_cluster_and_pass_that_role(synth_existing):
    role = _aurora_role(synth_existing)
    _, association = synth_existing.only("Custom::AWS")
    [policy_id] = association["DependsOn"]
    statements = synth_existing.template.to_json()["Resources"][policy_id]["Properties"][
        "PolicyDocument"
    ]["Statement"]
    cluster_arn = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":rds:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":cluster:orders-cluster",
            ],
        ]
    }
    _assert_statements(
        statements,
        [
            _allow(["rds:AddRoleToDBCluster", "rds:RemoveRoleFromDBCluster"], cluster_arn),
            _allow("iam:PassRole", {"Fn::GetAtt": [role, "Arn"]}),
        ],
    )
    synth_existing.template.has_resource_properties(
        "AWS::IAM::Policy", {"PolicyDocument": {"Statement": Match.array_with(statements)}}
    )
