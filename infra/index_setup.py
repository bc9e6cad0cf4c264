"""Searchable keys and index mode from context, applied to the indexes after they are created.

aws-cdk-lib's CfnIndex (and CloudFormation's AWS::S3Vectors::Index, as cfn-lint's schema has
it) has no property for full-text search or the index mode, so each index whose context sets
`searchableKeys` or `indexMode` gets a `Custom::S3vlIndexSetup` resource. Its function runs
lambda_src/s3vl_bridge/index_setup.py from the bridge's own bundle (the same asset): a Python
function rather than CDK's AwsCustomResource, whose Node.js runtime calls the SDK for
JavaScript the runtime ships, a version Lambda does not pin and that lags new APIs, while the
bundle pins boto3 >= 1.44.4, the first whose s3vectors model has UpdateMetadataConfiguration
(and queryTexts). It reads the index (GetIndex) and changes only what differs.

The function's role may write its own log group and call GetIndex,
UpdateMetadataConfiguration and UpdateIndexMode on exactly those indexes; it runs outside the
VPC (it needs S3 Vectors and CloudFormation's pre-signed S3 URL, nothing in the VPC).
"""

from __future__ import annotations

from aws_cdk import CustomResource, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.config import IndexSettings

HANDLER = "s3vl_bridge.index_setup.on_event"
RESOURCE_TYPE = "Custom::S3vlIndexSetup"
SETUP_ACTIONS = [
    "s3vectors:GetIndex",
    "s3vectors:UpdateIndexMode",
    "s3vectors:UpdateMetadataConfiguration",
]
_TIMEOUT = Duration.minutes(5)
_MEMORY_MB = 256


class IndexSetup(Construct):
    """One function and, per index that needs it, one custom resource applying its settings."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        runtime: lambda_.Runtime,
        architecture: lambda_.Architecture,
        indexes: list[tuple[IndexSettings, str]],
        log_retention_days: int,
    ) -> None:
        """indexes: (settings, index ARN) of each index whose text search settings apply."""
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "LogGroup", removal_policy=RemovalPolicy.DESTROY)
        log_group_resource = self.log_group.node.default_child
        assert isinstance(log_group_resource, logs.CfnLogGroup)
        log_group_resource.retention_in_days = log_retention_days
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="s3vl index setup at deploy: searchable keys and mode of its indexes",
        )
        self.log_group.grant_write(self.role)
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="SetUpVectorIndexes",
                actions=SETUP_ACTIONS,
                resources=[arn for _, arn in indexes],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description="s3vl: applies searchable keys and index mode (CloudFormation resource)",
            runtime=runtime,
            handler=HANDLER,
            code=code,
            architecture=architecture,
            memory_size=_MEMORY_MB,
            timeout=_TIMEOUT,
            role=self.role,
            log_group=self.log_group,
        )
        self.resources = [
            CustomResource(
                self,
                f"Index-{settings.name}",
                service_token=self.function.function_arn,
                resource_type=RESOURCE_TYPE,
                properties=_properties(settings, arn),
            )
            for settings, arn in indexes
        ]


def _properties(settings: IndexSettings, index_arn: str) -> dict[str, object]:
    """The resource's properties (lambda_src/s3vl_bridge/index_setup.py reads them)."""
    text_search = settings.text_search
    properties: dict[str, object] = {
        "IndexArn": index_arn,
        "IndexMode": text_search.index_mode or "",
    }
    if text_search.searchable_keys is not None:
        properties["SearchableKeys"] = [
            {"metadataKey": key.metadata_key} | ({"language": key.language} if key.language else {})
            for key in text_search.searchable_keys
        ]
    return properties
