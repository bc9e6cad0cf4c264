"""The vector bucket and indexes come from context, encrypted SSE-S3 unless a key is given."""

from __future__ import annotations

from aws_cdk.assertions import Match


def test_the_default_bucket_is_encrypted_with_s3_managed_keys(synth_default):
    synth_default.template.resource_count_is("AWS::S3Vectors::VectorBucket", 1)
    synth_default.template.has_resource_properties(
        "AWS::S3Vectors::VectorBucket",
        {
            "VectorBucketName": "s3vl-vectors",
            "EncryptionConfiguration": {"SseType": "AES256", "KmsKeyArn": Match.absent()},
        },
    )


def test_a_kms_key_in_context_encrypts_the_bucket_with_that_key(synth_existing):
    synth_existing.template.has_resource_properties(
        "AWS::S3Vectors::VectorBucket",
        {
            "EncryptionConfiguration": {
                "SseType": "aws:kms",
                "KmsKeyArn": synth_existing.context["kmsKeyArn"],
            }
        },
    )


def test_the_default_index_has_the_shape_written_in_cdk_json(synth_default):
    bucket_id, _ = synth_default.only("AWS::S3Vectors::VectorBucket")
    synth_default.template.resource_count_is("AWS::S3Vectors::Index", 1)
    synth_default.template.has_resource_properties(
        "AWS::S3Vectors::Index",
        {
            "IndexName": "products",
            "VectorBucketArn": {"Fn::GetAtt": [bucket_id, "VectorBucketArn"]},
            "DataType": "float32",
            "Dimension": 384,
            "DistanceMetric": "cosine",
            "MetadataConfiguration": {"NonFilterableMetadataKeys": ["description"]},
        },
    )


def test_every_index_in_context_becomes_an_index_of_the_bucket(synth_existing):
    bucket_id, _ = synth_existing.only("AWS::S3Vectors::VectorBucket")
    synth_existing.template.resource_count_is("AWS::S3Vectors::Index", 2)
    synth_existing.template.has_resource_properties(
        "AWS::S3Vectors::Index",
        {
            "IndexName": "products",
            "VectorBucketArn": {"Fn::GetAtt": [bucket_id, "VectorBucketArn"]},
            "Dimension": 1024,
            "DistanceMetric": "cosine",
            "MetadataConfiguration": Match.absent(),
        },
    )
    synth_existing.template.has_resource_properties(
        "AWS::S3Vectors::Index",
        {
            "IndexName": "reviews.v2",
            "VectorBucketArn": {"Fn::GetAtt": [bucket_id, "VectorBucketArn"]},
            "Dimension": 8,
            "DistanceMetric": "euclidean",
            "MetadataConfiguration": {"NonFilterableMetadataKeys": ["body", "source"]},
        },
    )


def test_deleting_the_stack_keeps_the_vectors_unless_told_otherwise(synth_default, synth_nat_open):
    for resource_type in ("AWS::S3Vectors::VectorBucket", "AWS::S3Vectors::Index"):
        synth_default.template.all_resources(
            resource_type, {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
        )
        synth_nat_open.template.all_resources(
            resource_type, {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
        )
