"""A refusal by S3 Vectors names the bridge's field (issue 12): AWS's fieldList path in the
API's camelCase becomes the name the caller gave the bridge, with the position in the caller's
request. The table is checked as a function, then through client.call (botocore's Stubber
answering as AWS does), the real handler and the local service, and a chunked write whose
second chunk AWS refuses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from s3vl_bridge import client, reset_container
from s3vl_bridge.aws_fields import _FIELDS, bridge_field
from s3vl_bridge.errors import BridgeError

from tests.support.bridge import DOCS_ARN, ok, refused


@pytest.mark.parametrize(
    ("operation", "path", "offset", "field"),
    [
        ("query_vectors", "queryTexts[2].metadataKey", 0, "query_texts[2].metadata_key"),
        ("query_vectors", "queryTexts[0].text", 0, "query_texts[0].text"),
        ("query_vectors", "queryTexts", 0, "query_texts"),
        ("query_vectors", "/queryTexts/1/metadataKey", 0, "query_texts[1].metadata_key"),
        ("query_vectors", "queryTexts.1.metadataKey", 0, "query_texts[1].metadata_key"),
        ("query_vectors", "queryVector.float32", 0, "query_vector"),
        ("query_vectors", "queryVector", 0, "query_vector"),
        ("query_vectors", "filter", 0, "metadata_filter"),
        ("query_vectors", "filter.$and[1].price", 0, "metadata_filter.$and[1].price"),
        ("query_vectors", "queryMode", 0, "query_mode"),
        ("query_vectors", "topK", 0, "top_k"),
        ("query_vectors", "returnScores", 0, "return_scores"),
        ("query_vectors", "indexArn", 0, "index_arn"),
        ("query_vectors", "nextToken", 0, None),
        ("query_vectors", "somethingNew", 0, None),
        ("put_vectors", "vectors[3].metadata", 500, "vectors[503].metadata"),
        ("put_vectors", "vectors[3].metadata.genre[1]", 500, "vectors[503].metadata.genre[1]"),
        ("put_vectors", "vectors[0].data.float32[7]", 1000, "vectors[1000].data"),
        ("put_vectors", "vectors[4].key", 0, "vectors[4].key"),
        ("put_vectors", "vectors", 500, "vectors"),
        ("delete_vectors", "keys[3]", None, "vector_ids"),
        ("delete_vectors", "keys[3]", 500, "vector_ids[503]"),
        ("get_vectors", "keys[1]", None, "vector_ids"),
        ("get_vectors", "returnData", None, "include_vector_data"),
        ("list_vectors", "segmentIndex", 0, "segment_index"),
        (
            "update_metadata_configuration",
            "add.textSearchConfigurations[1].metadataKey",
            0,
            "add[1].metadata_key",
        ),
        (
            "update_metadata_configuration",
            "add.textSearchConfigurations[0].language",
            0,
            "add[0].language",
        ),
        ("update_metadata_configuration", "add.textSearchConfigurations", 0, "add"),
        (
            "update_metadata_configuration",
            "delete.textSearchConfigurations[2].metadataKey",
            0,
            "delete[2]",
        ),
        ("update_index_mode", "indexMode", 0, "index_mode"),
        ("update_index_mode", "queryTexts[0].metadataKey", 0, None),
        # An operation with no table of its own still names the ARN every request carries.
        ("describe_index", "indexArn", 0, "index_arn"),
        ("describe_index", "maxResults", 0, None),
    ],
)
def test_an_aws_path_becomes_the_bridge_field_of_that_operation(operation, path, offset, field):
    assert bridge_field(operation, path, item_offset=offset) == field


def test_each_field_has_as_many_positions_as_the_aws_path_it_names():
    """Positions are carried over one for one (a field with fewer would drop the item's), and
    no field is in more than one list."""
    for operation, table in _FIELDS.items():
        for path, field in table.items():
            assert path.count("[]") == field.count("[]") <= 1, (operation, path, field)


@pytest.fixture
def stubbed() -> Iterator[Stubber]:
    reset_container()
    with Stubber(client.s3vectors()) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _refusal(stubbed: Stubber, operation: str, field_list: object) -> None:
    stubbed.add_client_error(
        operation,
        service_error_code="ValidationException",
        service_message="Invalid value",
        http_status_code=400,
        modeled_fields={"message": "Invalid value", "fieldList": field_list},
    )


def test_client_call_sets_the_field_aws_named(stubbed):
    _refusal(stubbed, "query_vectors", [{"path": "queryTexts[1].metadataKey", "message": "no"}])
    with pytest.raises(BridgeError) as raised:
        client.call("query_vectors", indexArn=DOCS_ARN, topK=1)
    assert (raised.value.type, raised.value.field) == (
        "ValidationError",
        "query_texts[1].metadata_key",
    )


def test_the_first_of_several_fields_is_named_and_an_empty_list_names_none(stubbed):
    _refusal(
        stubbed,
        "query_vectors",
        [{"path": "topK", "message": "a"}, {"path": "queryVector", "message": "b"}],
    )
    _refusal(stubbed, "query_vectors", [])
    for field in ("top_k", None):
        with pytest.raises(BridgeError) as raised:
            client.call("query_vectors", indexArn=DOCS_ARN, topK=1)
        assert raised.value.field == field


def test_a_chunk_offset_moves_the_position_to_the_callers_request(stubbed):
    _refusal(stubbed, "delete_vectors", [{"path": "keys[2]", "message": "no"}])
    with pytest.raises(BridgeError) as raised:
        client.call("delete_vectors", indexArn=DOCS_ARN, keys=["a"], item_offset=500)
    assert raised.value.field == "vector_ids[502]"


# -- through the real handler and the local S3 Vectors service --------------------------------


def test_a_key_the_index_does_not_search_names_the_query_text(invoke, s3v):
    error = refused(
        invoke(
            {
                "operation": "query_vectors",
                "index_arn": DOCS_ARN,
                "query_texts": [
                    {"metadata_key": "title", "text": "a"},
                    {"metadata_key": "genre", "text": "b"},
                ],
            }
        )
    )
    assert error["type"] == "ValidationError"
    assert error["field"] == "query_texts[0].metadata_key"
    assert "'queryTexts[0].metadataKey'" in error["message"]  # AWS's own words are kept


def test_an_index_administration_refusal_names_the_bridge_field(invoke, monkeypatch, s3v):
    monkeypatch.setenv("S3VL_INDEX_ADMIN", "true")
    reset_container()
    update = {"operation": "update_metadata_configuration", "index_arn": DOCS_ARN}
    error = refused(invoke({**update, "delete": ["genre"]}))
    assert (error["type"], error["field"]) == ("ValidationError", "delete[0]")
    ok(invoke({**update, "add": [{"metadata_key": "genre"}]}))
    error = refused(
        invoke({**update, "add": [{"metadata_key": "title"}, {"metadata_key": "genre"}]})
    )
    assert error["field"] == "add[1].metadata_key"
    error = refused(
        invoke({"operation": "update_index_mode", "index_arn": DOCS_ARN, "index_mode": "CLASSIC"})
    )
    assert error["field"] == "index_mode"


def test_a_refused_second_chunk_names_the_vector_of_the_callers_request(invoke, s3v):
    """The local service takes what the bridge has checked; AWS may refuse more. Its answer to
    the second PutVectors is given here as AWS would, naming the chunk's fourth vector."""
    calls = []

    def second_put_refused(request, **_):
        if not request.url.endswith("/PutVectors"):
            return None
        calls.append(request)
        if len(calls) < 2:
            return None
        return _validation_refusal(request, "vectors[3].metadata")

    client.s3vectors().meta.events.register_first("before-send.s3vectors", second_put_refused)
    vectors = [
        {"key": f"v{i}", "data": [1.0, float(i), 0.0, 0.0], "metadata": {"n": i}}
        for i in range(700)
    ]
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["type"] == "PartialWrite"
    assert error["field"] == "vectors[503].metadata"
    assert len(calls) == 2


def _validation_refusal(request: Any, path: str) -> AWSResponse:
    """AWS's ValidationException for `request`, naming `path` in its fieldList."""
    body = {
        "message": f"Invalid value for '{path}': not allowed here.",
        "fieldList": [{"path": path, "message": "not allowed here"}],
    }
    return AWSResponse(
        request.url,
        400,
        {"x-amzn-ErrorType": "ValidationException", "Content-Type": "application/json"},
        _Raw(json.dumps(body).encode()),
    )


class _Raw:
    """What botocore reads an answer's body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self._data


def test_a_batch_query_whose_vector_aws_refuses_is_named_by_its_place(invoke, s3v):
    """Each query of a batch is its own QueryVectors; AWS's `queryVector` is one of them."""

    def third_refused(request, **_):
        if not request.url.endswith("/QueryVectors"):
            return None
        if json.loads(request.body)["queryVector"]["float32"] != [0.0, 0.0, 1.0, 0.0]:
            return None
        return _validation_refusal(request, "queryVector")

    client.s3vectors().meta.events.register_first("before-send.s3vectors", third_refused)
    vectors = [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]
    error = refused(
        invoke(
            {"operation": "query_vectors_batch", "index_arn": DOCS_ARN, "query_vectors": vectors}
        )
    )
    assert (error["type"], error["field"]) == ("ValidationError", "query_vectors[2]")
