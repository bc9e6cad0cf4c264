"""The bridge Lambda: PostgreSQL's aws_lambda.invoke lands here and becomes S3 Vectors calls.

The function gets a role of its own with no managed policies: logs on its own log group,
the ENI actions Lambda needs in a VPC, X-Ray, and (granted by the stack) the s3vectors
actions on the stack's bucket and indexes. Aurora calls the `live` alias, never $LATEST.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.bundling import bridge_code
from infra.config import FunctionSettings
from infra.network import Network

HANDLER = "s3vl_bridge.handler.lambda_handler"
RUNTIME = lambda_.Runtime.PYTHON_3_13
ALIAS_NAME = "live"
SERVICE_NAME = "s3vl-bridge"
METRICS_NAMESPACE = "s3vl"
# The duration alarm fires when an invocation gets this close to the timeout.
DURATION_ALARM_RATIO = 0.8
# What Lambda needs on the execution role to attach the function to the VPC (the actions of
# AWSLambdaVPCAccessExecutionRole without its logs part).
VPC_ACCESS_ACTIONS = [
    "ec2:AssignPrivateIpAddresses",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:UnassignPrivateIpAddresses",
]

# The bridge's botocore budget (S3VL_* variables, lambda_src/s3vl_bridge/settings.py): a slow
# S3 Vectors call must come back as a retryable error before Lambda kills the invocation, so
# attempts x (connect + read) stays within this share of the function's timeout.
S3VECTORS_BUDGET_RATIO = 0.8
S3VECTORS_CONNECT_TIMEOUT_S = 1
S3VECTORS_MAX_ATTEMPTS = 4
S3VECTORS_MAX_READ_TIMEOUT_S = 60  # the most the bridge's settings accept


def s3vectors_call_budget(timeout_seconds: int) -> dict[str, str]:
    """The bridge's retry and timeout settings for a function timeout: 30 s gives the
    bridge's defaults (4 attempts, 1 s connect, 5 s read); shorter timeouts get fewer
    attempts (each at least 1 s connect + 1 s read), longer ones a longer read."""
    budget = timeout_seconds * S3VECTORS_BUDGET_RATIO
    per_attempt_floor = S3VECTORS_CONNECT_TIMEOUT_S + 2
    attempts = max(1, min(S3VECTORS_MAX_ATTEMPTS, int(budget // per_attempt_floor)))
    read = int(budget // attempts) - S3VECTORS_CONNECT_TIMEOUT_S
    read = max(1, min(S3VECTORS_MAX_READ_TIMEOUT_S, read))
    return {
        "S3VL_CONNECT_TIMEOUT_S": str(S3VECTORS_CONNECT_TIMEOUT_S),
        "S3VL_READ_TIMEOUT_S": str(read),
        "S3VL_MAX_ATTEMPTS": str(attempts),
    }


_ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


class BridgeFunction(Construct):
    """The function, its `live` alias, log group, dead-letter queue and alarms."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        source: Path,
        settings: FunctionSettings,
        network: Network,
        index_arns: list[str],
        bucket_arns: list[str],
        embedding_models: tuple[str, ...] = (),
        index_admin: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "LogGroup", removal_policy=RemovalPolicy.DESTROY)
        # The config already holds one of CloudWatch's periods as days; set it on the L1
        # rather than mapping numbers to RetentionDays names.
        log_group_resource = self.log_group.node.default_child
        assert isinstance(log_group_resource, logs.CfnLogGroup)
        log_group_resource.retention_in_days = settings.log_retention_days
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="s3vl bridge function: its logs, its VPC ENIs, X-Ray, its vector indexes",
        )
        self.log_group.grant_write(self.role)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="AttachToVpc",
                actions=VPC_ACCESS_ACTIONS,
                # ENIs do not exist before Lambda creates them and ec2:Describe* has no
                # resource-level permissions, so AWS requires "*" here.
                resources=["*"],
            )
        )

        # The bundle; the stack's index setup function runs from the same asset.
        self.code = bridge_code(source, architecture=settings.architecture, runtime=RUNTIME)
        self.function = lambda_.Function(
            self,
            "Function",
            description="s3vl bridge: PostgreSQL aws_lambda.invoke -> Amazon S3 Vectors",
            runtime=RUNTIME,
            handler=HANDLER,
            code=self.code,
            architecture=_ARCHITECTURES[settings.architecture],
            memory_size=settings.memory_mb,
            timeout=Duration.seconds(settings.timeout_seconds),
            reserved_concurrent_executions=settings.reserved_concurrency,
            role=self.role,
            vpc=network.vpc,
            vpc_subnets=network.subnets,
            security_groups=[network.function_security_group],
            tracing=lambda_.Tracing.ACTIVE,
            # Restored from a snapshot of its init instead of initialising (docs/deploy.md);
            # the code reloads credentials and randomness after a restore (snapstart.py).
            snap_start=(
                lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if settings.snap_start else None
            ),
            log_group=self.log_group,
            dead_letter_queue=self.dead_letter_queue,
            environment={
                "S3VL_INDEX_ARNS": ",".join(index_arns),
                "S3VL_BUCKET_ARNS": ",".join(bucket_arns),
                "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "LOG_LEVEL": "INFO",
                # pydantic would look its plugins up in every installed distribution on its
                # first validator; the bridge uses none (the handler says the same).
                "PYDANTIC_DISABLE_PLUGINS": "__all__",
                **s3vectors_call_budget(settings.timeout_seconds),
                # The Bedrock models embed may invoke (the stack grants exactly these).
                **(
                    {"S3VL_EMBEDDING_MODELS": ",".join(embedding_models)}
                    if embedding_models
                    else {}
                ),
                # Index administration, allowed by the stack's grant (context indexAdmin).
                **({"S3VL_INDEX_ADMIN": "true"} if index_admin else {}),
            },
        )
        self.alias = lambda_.Alias(
            self, "LiveAlias", alias_name=ALIAS_NAME, version=self.function.current_version
        )
        self._add_alarms(settings.timeout_seconds)

    def _add_alarms(self, timeout_seconds: int) -> None:
        period = Duration.minutes(5)
        near_timeout_ms = int(timeout_seconds * 1000 * DURATION_ALARM_RATIO)
        alarms = (
            (
                "ErrorsAlarm",
                self.function.metric_errors(period=period),
                1,
                "crashed (not a handled error envelope)",
            ),
            ("ThrottlesAlarm", self.function.metric_throttles(period=period), 1, "was throttled"),
            (
                "DurationAlarm",
                self.function.metric_duration(period=period, statistic="Maximum"),
                near_timeout_ms,
                f"ran {int(DURATION_ALARM_RATIO * 100)}% of its timeout or longer",
            ),
            (
                "DeadLetterQueueAlarm",
                self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=period, statistic="Maximum"
                ),
                1,
                "left failed asynchronous invocations in its dead-letter queue",
            ),
        )
        self.alarms = [
            cloudwatch.Alarm(
                self,
                alarm_id,
                metric=metric,
                threshold=threshold,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"The s3vl bridge function {what}.",
            )
            for alarm_id, metric, threshold, what in alarms
        ]
