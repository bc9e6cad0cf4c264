"""The S3 vector bucket and its indexes, with the ARNs the function and Aurora need."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_s3vectors as s3vectors
from constructs import Construct

from infra.config import IndexSettings


class VectorStore(Construct):
    """A vector bucket (SSE-S3, or SSE-KMS with the given key) holding the given indexes."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket_name: str,
        indexes: tuple[IndexSettings, ...],
        kms_key_arn: str = "",
        retain: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        encryption = (
            s3vectors.CfnVectorBucket.EncryptionConfigurationProperty(
                sse_type="aws:kms", kms_key_arn=kms_key_arn
            )
            if kms_key_arn
            else s3vectors.CfnVectorBucket.EncryptionConfigurationProperty(sse_type="AES256")
        )
        self.bucket = s3vectors.CfnVectorBucket(
            self,
            "Bucket",
            vector_bucket_name=bucket_name,
            encryption_configuration=encryption,
        )
        # Deleting an index deletes its vectors: by default the stack leaves both behind.
        removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY
        self.bucket.apply_removal_policy(removal)
        self.bucket_name = bucket_name
        self.bucket_arn = self.bucket.attr_vector_bucket_arn
        # Index name -> index ARN, in the order of the context (the SQL output follows it).
        self.index_arns: dict[str, str] = {}
        for settings in indexes:
            index = s3vectors.CfnIndex(
                self,
                f"Index-{settings.name}",
                vector_bucket_arn=self.bucket_arn,
                index_name=settings.name,
                data_type="float32",
                dimension=settings.dimension,
                distance_metric=settings.metric,
                metadata_configuration=(
                    s3vectors.CfnIndex.MetadataConfigurationProperty(
                        non_filterable_metadata_keys=list(settings.non_filterable_keys)
                    )
                    if settings.non_filterable_keys
                    else None
                ),
            )
            index.apply_removal_policy(removal)
            self.index_arns[settings.name] = index.attr_index_arn
