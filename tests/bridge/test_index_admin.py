"""update_metadata_configuration and update_index_mode through the real handler and the local
S3 Vectors service: served only where S3VL_INDEX_ADMIN is set, checked before any call."""

from __future__ import annotations

import pytest
from s3vl_bridge import reset_container

from devstack.s3vectors.backend import LEGACY_BUCKET_TAG
from tests.support.bridge import BUCKET, DOCS_ARN, HIDDEN_ARN, ok, refused
from tests.support.s3vectors import create_index


@pytest.fixture
def admin(monkeypatch, request):
    """The local service (s3v) seen by a function deployed with index administration; set
    before s3v builds the container, so s3v's record of what was sent stays in place."""
    monkeypatch.setenv("S3VL_INDEX_ADMIN", "true")
    return request.getfixturevalue("s3v")


def update(**fields):
    return {"operation": "update_metadata_configuration", "index_arn": DOCS_ARN, **fields}


def test_index_administration_is_refused_unless_the_deployment_enabled_it(invoke, s3v):
    for request in (
        update(add=[{"metadata_key": "genre"}]),
        {"operation": "update_index_mode", "index_arn": DOCS_ARN, "index_mode": "ENHANCED"},
    ):
        error = refused(invoke(request))
        assert (error["type"], error["field"]) == ("AccessDenied", "operation")
        assert "indexAdmin" in error["message"]
    assert s3v.sent == []


def test_an_index_not_served_is_denied_before_anything_else(invoke, admin):
    error = refused(invoke({**update(add=[{"metadata_key": "x"}]), "index_arn": HIDDEN_ARN}))
    assert error["type"] == "AccessDenied"
    assert admin.sent == []


def test_keys_added_become_searchable_and_deleted_ones_stop(invoke, admin):
    result = ok(invoke(update(add=[{"metadata_key": "genre", "language": "en"}])))
    # The index holds vectors: the new key is backfilled and reports BUILDING once.
    assert result["text_search_configurations"] == [
        {"metadata_key": "genre", "language": "en", "status": "BUILDING"}
    ]
    assert admin.sent == ["UpdateMetadataConfiguration", "GetIndex"]
    described = ok(invoke({"operation": "describe_index", "index_arn": DOCS_ARN}))
    assert described["text_search_configurations"][0]["status"] == "ACTIVE"
    rows = ok(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_texts": [{"metadata_key": "genre", "text": "films"}],
                "top_k": 20,
            }
        )
    )
    assert sorted(r["vector_id"] for r in rows) == ["doc-02", "doc-05", "doc-08", "doc-11"]

    result = ok(invoke(update(add=[{"metadata_key": "title"}], delete=["genre"])))
    assert result["text_search_configurations"] == [
        {"metadata_key": "title", "language": None, "status": "BUILDING"}
    ]


def test_update_index_mode_switches_a_classic_index_to_enhanced(invoke, admin, monkeypatch):
    admin.aws.create_vector_bucket(
        vectorBucketName="legacy-bucket", tags={LEGACY_BUCKET_TAG: "true"}
    )
    create_index(admin.aws, "legacy-bucket", "old", 4)
    arn = DOCS_ARN.replace(f"bucket/{BUCKET}/index/docs", "bucket/legacy-bucket/index/old")
    monkeypatch.setenv("S3VL_INDEX_ARNS", arn)
    reset_container()
    assert ok(invoke({"operation": "describe_index", "index_arn": arn}))["index_mode"] == "CLASSIC"
    result = ok(
        invoke({"operation": "update_index_mode", "index_arn": arn, "index_mode": "ENHANCED"})
    )
    assert result["index_mode"] == "ENHANCED"


def test_classic_on_a_new_bucket_is_refused_by_s3_vectors(invoke, admin):
    error = refused(
        invoke({"operation": "update_index_mode", "index_arn": DOCS_ARN, "index_mode": "CLASSIC"})
    )
    assert error["type"] == "ValidationError"
    assert "'indexMode'" in error["message"]


@pytest.mark.parametrize(
    ("request_fields", "field"),
    [
        ({}, "add"),
        ({"add": []}, "add"),
        ({"delete": []}, "delete"),
        ({"add": [{"metadata_key": f"k{i}"} for i in range(11)]}, "add"),
        ({"delete": [f"k{i}" for i in range(11)]}, "delete"),
        ({"add": [{"metadata_key": "a"}, {"metadata_key": "a"}]}, "add[1].metadata_key"),
        ({"delete": ["a", "a"]}, "delete[1]"),
        ({"add": [{"metadata_key": "a"}], "delete": ["a"]}, "delete[0]"),
        ({"add": [{"metadata_key": "a", "language": "none"}]}, "add[0].language"),
        ({"add": [{"metadata_key": "a", "language": "english"}]}, "add[0].language"),
        ({"add": [{"metadata_key": ""}]}, "add[0].metadata_key"),
        ({"add": [{"metadata_key": "k" * 64}]}, "add[0].metadata_key"),
        ({"add": [{"metadata_key": "a", "status": "ACTIVE"}]}, "add[0].status"),
        ({"add": ["a"]}, "add[0]"),
        ({"delete": [""]}, "delete[0]"),
    ],
    ids=[
        "nothing", "empty add", "empty delete", "eleven added", "eleven deleted", "added twice",
        "deleted twice", "added and deleted", "language none", "language name", "empty key",
        "key too long", "status", "a string", "empty deleted key",
    ],
)  # fmt: skip
def test_a_bad_update_is_refused_naming_the_field_before_any_call(
    invoke, admin, request_fields, field
):
    error = refused(invoke(update(**request_fields)))
    assert (error["type"], error["field"]) == ("ValidationError", field), error
    assert admin.sent == []


@pytest.mark.parametrize("mode", ["enhanced", "FAST", None])
def test_a_bad_index_mode_is_refused_before_any_call(invoke, admin, mode):
    error = refused(
        invoke({"operation": "update_index_mode", "index_arn": DOCS_ARN, "index_mode": mode})
    )
    assert (error["type"], error["field"]) == ("ValidationError", "index_mode")
    assert admin.sent == []
