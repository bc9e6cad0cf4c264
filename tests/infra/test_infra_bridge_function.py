"""The bridge function: runtime, sizing and settings from context, observability around it."""

from __future__ import annotations

import pytest
from aws_cdk.assertions import Capture, Match

from infra.bridge_function import s3vectors_call_budget

HANDLER = "s3vl_bridge.handler.lambda_handler"


def _bridge(synth) -> tuple[str, dict]:
    return synth.only("AWS::Lambda::Function", {"Handler": HANDLER})


def test_the_default_function_is_python_3_13_on_arm64_with_the_shipped_sizes(synth_default):
    _, function = _bridge(synth_default)
    properties = function["Properties"]
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["MemorySize"] == 512
    assert properties["Timeout"] == 30
    assert "ReservedConcurrentExecutions" not in properties
    assert properties["TracingConfig"] == {"Mode": "Active"}


def test_memory_timeout_concurrency_and_architecture_come_from_context(synth_existing):
    synth_existing.template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": HANDLER,
            "Architectures": ["x86_64"],
            "MemorySize": 1024,
            "Timeout": 60,
            "ReservedConcurrentExecutions": 20,
        },
    )


def test_the_function_is_told_exactly_which_indexes_and_bucket_it_serves(synth_existing):
    template = synth_existing.template
    bucket_id, _ = synth_existing.only("AWS::S3Vectors::VectorBucket")
    products, _ = synth_existing.only("AWS::S3Vectors::Index", {"IndexName": "products"})
    reviews, _ = synth_existing.only("AWS::S3Vectors::Index", {"IndexName": "reviews.v2"})
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": HANDLER,
            "Environment": {
                "Variables": {
                    "S3VL_INDEX_ARNS": {
                        "Fn::Join": [
                            "",
                            [
                                {"Fn::GetAtt": [products, "IndexArn"]},
                                ",",
                                {"Fn::GetAtt": [reviews, "IndexArn"]},
                            ],
                        ]
                    },
                    "S3VL_BUCKET_ARNS": {"Fn::GetAtt": [bucket_id, "VectorBucketArn"]},
                    "POWERTOOLS_SERVICE_NAME": "s3vl-bridge",
                    "POWERTOOLS_METRICS_NAMESPACE": "s3vl",
                    "LOG_LEVEL": "INFO",
                    # a 60 s function: 4 attempts of 1 s connect + 11 s read
                    "S3VL_CONNECT_TIMEOUT_S": "1",
                    "S3VL_READ_TIMEOUT_S": "11",
                    "S3VL_MAX_ATTEMPTS": "4",
                }
            },
        },
    )


@pytest.mark.parametrize("timeout_seconds", [3, 5, 10, 20, 30, 60, 300, 900])
def test_the_bridge_gives_up_on_s3_vectors_before_the_function_times_out(timeout_seconds):
    budget = s3vectors_call_budget(timeout_seconds)
    attempts = int(budget["S3VL_MAX_ATTEMPTS"])
    per_attempt = int(budget["S3VL_CONNECT_TIMEOUT_S"]) + int(budget["S3VL_READ_TIMEOUT_S"])
    assert attempts >= 1 and int(budget["S3VL_READ_TIMEOUT_S"]) >= 1
    assert attempts * per_attempt < timeout_seconds


def test_a_30_second_function_keeps_the_bridges_own_defaults():
    assert s3vectors_call_budget(30) == {
        "S3VL_CONNECT_TIMEOUT_S": "1",
        "S3VL_READ_TIMEOUT_S": "5",
        "S3VL_MAX_ATTEMPTS": "4",
    }


def test_the_function_logs_to_its_own_group_with_the_configured_retention(
    synth_default, synth_existing
):
    for synth, days in ((synth_default, 30), (synth_existing, 90)):
        log_group = Capture()
        synth.template.has_resource_properties(
            "AWS::Lambda::Function",
            {"Handler": HANDLER, "LoggingConfig": {"LogGroup": {"Ref": log_group}}},
        )
        assert synth.template.to_json()["Resources"][log_group.as_string()]["Properties"] == {
            "RetentionInDays": days
        }


def test_failed_asynchronous_invocations_land_in_an_encrypted_dead_letter_queue(synth_default):
    queue_id, queue = synth_default.only("AWS::SQS::Queue")
    assert queue["Properties"] == {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}
    synth_default.template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": HANDLER, "DeadLetterConfig": {"TargetArn": {"Fn::GetAtt": [queue_id, "Arn"]}}},
    )
    synth_default.template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": queue_id}],
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Effect": "Deny",
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    )
                ]
            },
        },
    )


def test_aurora_calls_a_live_alias_on_a_published_version(synth_default):
    function_id, _ = _bridge(synth_default)
    version_id, _ = synth_default.only(
        "AWS::Lambda::Version", {"FunctionName": {"Ref": function_id}}
    )
    synth_default.template.resource_count_is("AWS::Lambda::Alias", 1)
    synth_default.template.has_resource_properties(
        "AWS::Lambda::Alias",
        {
            "Name": "live",
            "FunctionName": {"Ref": function_id},
            "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]},
        },
    )


def test_snapstart_is_off_unless_the_context_turns_it_on(synth_default):
    _, function = _bridge(synth_default)
    assert "SnapStart" not in function["Properties"]


def test_snapstart_restores_the_published_version_that_the_live_alias_calls(synth_existing):
    function_id, function = _bridge(synth_existing)
    assert function["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    version_id, version = synth_existing.only(
        "AWS::Lambda::Version", {"FunctionName": {"Ref": function_id}}
    )
    synth_existing.template.has_resource_properties(
        "AWS::Lambda::Alias",
        {"Name": "live", "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]}},
    )
    # A version replaced by a deploy is deleted (not retained), and its cached snapshot,
    # charged while the version exists, with it.
    assert version.get("DeletionPolicy", "Delete") == "Delete"
    # What SnapStart cannot run with: provisioned concurrency, EFS, more than 512 MB of /tmp.
    assert "FileSystemConfigs" not in function["Properties"]
    assert function["Properties"].get("EphemeralStorage", {"Size": 512})["Size"] <= 512
    for alias in synth_existing.resources("AWS::Lambda::Alias").values():
        assert "ProvisionedConcurrencyConfig" not in alias["Properties"]


def test_the_function_turns_pydantic_plugin_lookup_off(synth_default):
    _, function = _bridge(synth_default)
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["PYDANTIC_DISABLE_PLUGINS"] == "__all__"


def _alarms_by_metric(synth) -> dict[str, dict]:
    return {
        alarm["Properties"]["MetricName"]: alarm["Properties"]
        for alarm in synth.resources("AWS::CloudWatch::Alarm").values()
    }


def test_alarms_watch_errors_throttles_duration_near_the_timeout_and_the_dlq(
    synth_default, synth_existing
):
    function_id, _ = _bridge(synth_default)
    queue_id, _ = synth_default.only("AWS::SQS::Queue")
    alarms = _alarms_by_metric(synth_default)
    assert sorted(alarms) == [
        "ApproximateNumberOfMessagesVisible",
        "Duration",
        "Errors",
        "Throttles",
    ]
    function_dimension = [{"Name": "FunctionName", "Value": {"Ref": function_id}}]
    for name in ("Errors", "Throttles"):
        assert alarms[name]["Dimensions"] == function_dimension
        assert (alarms[name]["Statistic"], alarms[name]["Threshold"]) == ("Sum", 1)
    assert alarms["Duration"]["Dimensions"] == function_dimension
    assert (alarms["Duration"]["Statistic"], alarms["Duration"]["Threshold"]) == ("Maximum", 24000)
    dlq = alarms["ApproximateNumberOfMessagesVisible"]
    assert dlq["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}
    ]
    assert dlq["Threshold"] == 1
    for alarm in alarms.values():
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
    # The duration threshold follows the configured timeout (60 s there).
    assert _alarms_by_metric(synth_existing)["Duration"]["Threshold"] == 48000
