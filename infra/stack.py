"""The s3vl stack: vector store, network, bridge function and Aurora access, wired together.

Grants between the parts are made here, where both sides are visible. The stack is
environment-agnostic (account and region resolve at deploy time), so synth needs no
account and makes no AWS call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import ArnFormat, Aws, CfnOutput, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.aurora_access import AuroraAccess, cli_command
from infra.bridge_function import RUNTIME, BridgeFunction
from infra.config import Settings
from infra.index_setup import IndexSetup
from infra.nag import suppress_findings
from infra.network import Network
from infra.vector_store import VectorStore

# What the bridge calls, per resource type (Service Authorization Reference for
# s3vectors). GetIndex serves describe_index; GetVectors is also what QueryVectors and
# ListVectors need to return metadata or use a filter. No GetVectorBucket: the
# availability check answers from the function's own configuration.
INDEX_ACTIONS = [
    "s3vectors:DeleteVectors",
    "s3vectors:GetIndex",
    "s3vectors:GetVectors",
    "s3vectors:ListVectors",
    "s3vectors:PutVectors",
    "s3vectors:QueryVectors",
]
BUCKET_ACTIONS = ["s3vectors:ListIndexes"]
# Index administration (context indexAdmin): searchable keys and the index mode.
INDEX_ADMIN_ACTIONS = ["s3vectors:UpdateIndexMode", "s3vectors:UpdateMetadataConfiguration"]
# With SSE-KMS the caller's principal uses the key to read and write vector data.
KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]
# embed calls InvokeModel only (no streaming, no Converse), on the configured base models.
BEDROCK_ACTIONS = ["bedrock:InvokeModel"]


class S3vlStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        lambda_source: Path,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        store = VectorStore(
            self,
            "VectorStore",
            bucket_name=settings.vector_bucket_name,
            indexes=settings.indexes,
            kms_key_arn=settings.kms_key_arn,
            retain=settings.retain_vector_store,
        )
        network = Network(
            self,
            "Network",
            settings=settings.network,
            bedrock_runtime=bool(settings.embedding_models),
        )
        index_arns = list(store.index_arns.values())
        bridge = BridgeFunction(
            self,
            "Bridge",
            source=lambda_source,
            settings=settings.function,
            network=network,
            index_arns=index_arns,
            bucket_arns=[store.bucket_arn],
            embedding_models=settings.embedding_models,
            index_admin=settings.index_admin,
        )
        self._grant_vector_access(bridge.role, store, settings.kms_key_arn)
        if settings.index_admin:
            bridge.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="AdministerVectorIndexes",
                    actions=INDEX_ADMIN_ACTIONS,
                    resources=index_arns,
                )
            )
        if settings.embedding_models:
            bridge.role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="InvokeEmbeddingModels",
                    actions=BEDROCK_ACTIONS,
                    resources=[self.foundation_model_arn(m) for m in settings.embedding_models],
                )
            )
        index_setup = self._index_setup(settings, store, bridge)
        aurora = AuroraAccess(
            self, "Aurora", alias=bridge.alias, cluster_identifier=settings.aurora_cluster_id
        )
        suppress_findings(bridge=bridge, aurora=aurora, index_setup=index_setup)
        self._add_outputs(store, bridge, aurora, settings)

    def _index_setup(
        self, settings: Settings, store: VectorStore, bridge: BridgeFunction
    ) -> IndexSetup | None:
        """Searchable keys and modes from context, for the indexes that set them."""
        indexes = [
            (index, store.index_arns[index.name])
            for index in settings.indexes
            if index.text_search.applies
        ]
        if not indexes:
            return None
        return IndexSetup(
            self,
            "IndexSetup",
            code=bridge.code,
            runtime=RUNTIME,
            architecture=bridge.function.architecture,
            indexes=indexes,
            log_retention_days=settings.function.log_retention_days,
        )

    def foundation_model_arn(self, model_id: str) -> str:
        """arn:PARTITION:bedrock:REGION::foundation-model/MODEL (base models have no account)."""
        return self.format_arn(
            service="bedrock",
            account="",
            resource="foundation-model",
            resource_name=model_id,
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    @staticmethod
    def _grant_vector_access(role: iam.IRole, store: VectorStore, kms_key_arn: str) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="UseVectorIndexes",
                actions=INDEX_ACTIONS,
                resources=list(store.index_arns.values()),
            )
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListIndexesOfBucket", actions=BUCKET_ACTIONS, resources=[store.bucket_arn]
            )
        )
        if kms_key_arn:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    sid="UseBucketKey", actions=KMS_ACTIONS, resources=[kms_key_arn]
                )
            )

    def _add_outputs(
        self,
        store: VectorStore,
        bridge: BridgeFunction,
        aurora: AuroraAccess,
        settings: Settings,
    ) -> None:
        CfnOutput(self, "VectorBucketArn", value=store.bucket_arn)
        for position, (name, arn) in enumerate(store.index_arns.items()):
            CfnOutput(
                self, f"IndexArn{position}", value=arn, description=f"ARN of the index {name}"
            )
        CfnOutput(self, "FunctionArn", value=bridge.function.function_arn)
        CfnOutput(
            self,
            "AliasArn",
            value=bridge.alias.function_arn,
            description="What Aurora invokes: pass it to s3vl.configure",
        )
        CfnOutput(self, "AuroraRoleArn", value=aurora.role.role_arn)
        if not settings.aurora_cluster_id:
            CfnOutput(
                self,
                "AssociateAuroraRoleCommand",
                value=cli_command(
                    cluster_placeholder="YOUR-CLUSTER-ID", role_arn=aurora.role.role_arn
                ),
                description="Run once: lets the cluster assume the role for aws_lambda.invoke",
            )
        CfnOutput(
            self,
            "ConfigureSql",
            value=sql_snippet(
                alias_arn=bridge.alias.function_arn,
                region=Aws.REGION,
                timeout_seconds=settings.function.timeout_seconds,
                index_arns=store.index_arns,
            ),
            description="Paste into psql after installing sql/install.sql",
        )


def sql_snippet(
    *, alias_arn: str, region: str, timeout_seconds: int, index_arns: dict[str, str]
) -> str:
    """The SQL that points s3vl at this deployment: configure, then one register per index."""
    statements = [
        f"SELECT s3vl.configure(lambda_arn => '{alias_arn}', aws_region => '{region}',"
        f" timeout_seconds => {timeout_seconds});"
    ]
    statements += [
        f"SELECT s3vl.register_index(index_name => '{name}', index_arn => '{arn}');"
        for name, arn in index_arns.items()
    ]
    return " ".join(statements)
