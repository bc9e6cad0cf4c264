"""put_vectors and delete_vectors: checked first, written in chunks, partial failures exact."""

from __future__ import annotations

import json
import random
import struct
import threading

import numpy as np
import pytest
from s3vl_bridge import client

from devstack.s3vectors import faults as s3vectors_faults
from devstack.s3vectors import hooks as s3vectors_hooks
from tests.support.bridge import BUCKET, BUCKET_ARN, DOCS, DOCS_ARN, PLACES_ARN, ok, refused

PUT_REQUEST_BYTES_MAX = 20 * 1024 * 1024  # AWS's PutVectors limit, not the bridge's constant


def _vectors(n: int, prefix: str = "p") -> list[dict]:
    return [
        {"key": f"{prefix}{i:05d}", "data": [1.0, 0.001 * i, 0.5, -0.25], "metadata": {"i": i}}
        for i in range(n)
    ]


def test_put_vectors_writes_what_get_vectors_then_reads(invoke, s3v):
    vectors = [
        {
            "key": "new-a",
            "data": [0.5, 0.5, 0.0, 0.1],
            "metadata": {"tag": "a", "tags": ["x", "y"]},
        },
        {"key": "new-b", "data": {"float32": [0.0, 1.0, 0.0, 0.2]}},
    ]
    result = ok(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert result == {"written_count": 2, "written_keys": ["new-a", "new-b"], "chunk_count": 1}
    got = s3v.aws.get_vectors(
        indexArn=DOCS_ARN, keys=["new-a", "new-b"], returnData=True, returnMetadata=True
    )["vectors"]
    by_key = {v["key"]: v for v in got}
    assert by_key["new-a"]["data"]["float32"] == pytest.approx([0.5, 0.5, 0.0, 0.1])
    assert by_key["new-a"]["metadata"] == {"tag": "a", "tags": ["x", "y"]}
    assert by_key["new-b"]["data"]["float32"] == pytest.approx([0.0, 1.0, 0.0, 0.2])


def test_the_index_is_described_once_per_container_for_many_puts(invoke, s3v):
    for prefix in ("a", "b", "c"):
        put = {"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": _vectors(2, prefix)}
        assert ok(invoke(put)) == {
            "written_count": 2,
            "written_keys": [f"{prefix}00000", f"{prefix}00001"],
            "chunk_count": 1,
        }
    assert s3v.sent == ["GetIndex", "PutVectors", "PutVectors", "PutVectors"]


def test_put_vectors_overwrites_an_existing_key(invoke, s3v):
    ok(
        invoke(
            {
                "operation": "put_vectors",
                "index_arn": DOCS_ARN,
                "vectors": [{"key": "doc-00", "data": [9.0, 9.0, 9.0, 9.0], "metadata": {"v": 2}}],
            }
        )
    )
    (row,) = ok(
        invoke({"operation": "get_vectors", "index_arn": DOCS_ARN, "vector_ids": ["doc-00"]})
    )
    assert row["embedding"] == [9.0, 9.0, 9.0, 9.0]
    assert row["metadata"] == {"v": 2}


def test_put_vectors_splits_1200_vectors_into_chunks_of_at_most_500(invoke, s3v):
    vectors = _vectors(1200)
    result = ok(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert result == {
        "written_count": 1200,
        "written_keys": [v["key"] for v in vectors],  # all of them, in request order
        "chunk_count": 3,
    }
    assert s3v.sent.count("PutVectors") == 3
    stored = s3v.stored_keys(DOCS_ARN)
    assert stored == sorted([v["key"] for v in vectors] + [d["key"] for d in DOCS])


def test_a_chunk_that_fails_among_three_reports_exactly_which_keys_were_written(invoke, s3v):
    vectors = _vectors(1300)
    chunks = [vectors[:500], vectors[500:1000], vectors[1000:]]
    # The chunks go out at once: the third PutVectors to arrive fails, whichever chunk it is.
    s3vectors_faults.inject(
        "PutVectors", code="ServiceQuotaExceededException", status=402, times=1, skip=2
    )
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["type"] == "PartialWrite"
    assert error["retryable"] is False
    details = error["details"]
    assert details["cause"] == "ServiceQuotaExceeded"
    not_written = details["not_written_keys"]
    (failed,) = [n for n, chunk in enumerate(chunks) if chunk[0]["key"] in not_written]
    assert details["not_written_keys"] == [v["key"] for v in chunks[failed]]
    assert details["written_keys"] == [  # the others, in request order
        v["key"] for n, chunk in enumerate(chunks) if n != failed for v in chunk
    ]
    assert (details["chunks_done"], details["chunk_count"]) == (2, 3)
    assert f"chunk {failed + 1} of 3" in error["message"]
    assert f"{len(details['written_keys'])} keys were written" in error["message"]
    stored = set(s3v.stored_keys(DOCS_ARN)) - {d["key"] for d in DOCS}
    assert stored == set(details["written_keys"])


def test_every_chunk_is_tried_when_one_fails(invoke, s3v):
    """The chunks run at once: a failure does not stop the chunks after it (the fault hits the
    first PutVectors to arrive, and the other two are written all the same)."""
    s3vectors_faults.inject("PutVectors", code="ServiceQuotaExceededException", status=402)
    error = refused(
        invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": _vectors(1500)})
    )
    assert (len(error["details"]["written_keys"]), len(error["details"]["not_written_keys"])) == (
        1000,
        500,
    )
    assert s3v.sent.count("PutVectors") == 3


def test_the_chunks_of_one_put_are_in_flight_together(invoke, s3v):
    """Three chunks, three lanes: each PutVectors waits at the service until all three have
    arrived, which never happens if the bridge sends them one after another."""
    all_three = threading.Barrier(3, timeout=10)

    def together(proceed):  # type: ignore[no-untyped-def]
        all_three.wait()
        return proceed()

    with s3vectors_hooks.around("PutVectors", together):
        result = ok(
            invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": _vectors(1500)})
        )
    assert result["chunk_count"] == 3 and result["written_count"] == 1500


def test_a_put_whose_every_chunk_fails_is_the_cause_itself(invoke, s3v):
    """Nothing written: the answer is the cause's, as for a single chunk, not a PartialWrite."""
    s3vectors_faults.inject("PutVectors", code="ServiceQuotaExceededException", status=402, times=3)
    error = refused(
        invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": _vectors(1200)})
    )
    assert error["type"] == "ServiceQuotaExceeded"
    assert s3v.stored_keys(DOCS_ARN) == sorted(d["key"] for d in DOCS)


def test_a_retryable_failure_mid_put_keeps_the_retryable_flag(invoke, s3v):
    s3vectors_faults.inject(
        "PutVectors", code="ServiceUnavailableException", status=503, times=10, skip=1
    )
    error = refused(
        invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": _vectors(700)})
    )
    assert error["type"] == "PartialWrite"
    assert error["retryable"] is True
    # Chunks of 500 and 200 at once: the first to arrive is written, the other fails.
    written = error["details"]["written_keys"]
    assert written in ([f"p{i:05d}" for i in range(500)], [f"p{i:05d}" for i in range(500, 700)])


def test_501_vectors_with_a_wrong_dimension_in_the_501st_write_nothing_and_call_nothing(
    invoke, s3v
):
    vectors = _vectors(501)
    vectors[500]["data"] = [1.0, 2.0, 3.0]
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["type"] == "ValidationError"
    assert error["field"] == "vectors[500].data"
    assert s3v.sent == []
    assert s3v.stored_keys(DOCS_ARN) == sorted(d["key"] for d in DOCS)


def test_vectors_of_another_dimension_than_the_index_are_refused_before_any_write(invoke, s3v):
    error = refused(
        invoke({"operation": "put_vectors", "index_arn": PLACES_ARN, "vectors": _vectors(3)})
    )
    assert error["type"] == "ValidationError"
    assert "dimension 3" in error["message"]
    assert "PutVectors" not in s3v.sent


def test_an_all_zero_vector_is_refused_for_a_cosine_index(invoke, s3v):
    vectors = _vectors(3)
    vectors[1]["data"] = [0.0, 0.0, 0.0, 0.0]
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["field"] == "vectors[1].data"
    assert "PutVectors" not in s3v.sent


def test_a_vector_that_is_zero_in_float32_is_refused_for_a_cosine_index(invoke, s3v):
    vectors = _vectors(3)
    vectors[2]["data"] = [1e-46, 0.0, -1e-46, 0.0]  # not 0.0 as a double, 0 as a float32
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["field"] == "vectors[2].data"
    assert s3v.sent == ["GetIndex"]


def _put_to_new_index(invoke, s3v, name: str, vectors: list[dict]) -> tuple[dict, list[int]]:
    """put_vectors of `vectors` to a new euclidean index of their dimension: the answer, and the
    size of each PutVectors body the service received."""
    s3v.aws.create_index(
        vectorBucketName=BUCKET,
        indexName=name,
        dataType="float32",
        dimension=len(vectors[0]["data"]),
        distanceMetric="euclidean",
    )
    arn = f"{BUCKET_ARN}/index/{name}"
    result = ok(invoke({"operation": "put_vectors", "index_arn": arn, "vectors": vectors}))
    puts = [
        size for sent, size in zip(s3v.sent, s3v.body_bytes, strict=True) if sent == "PutVectors"
    ]
    assert len(s3v.stored_keys(arn)) == len(vectors)
    return result, puts


def test_put_vectors_keeps_every_request_under_20_mib_as_sent(invoke, s3v):
    # 400 vectors of 4096 long floats are ~33 MB as JSON: under 500 vectors, but two requests.
    rng = random.Random(7)
    vectors = [
        {"key": f"w{i:03d}", "data": [rng.random() for _ in range(4096)], "metadata": {"é": i}}
        for i in range(400)
    ]
    result, puts = _put_to_new_index(invoke, s3v, "wide", vectors)
    assert result == {
        "written_count": 400,
        "written_keys": [v["key"] for v in vectors],
        "chunk_count": len(puts),
    }
    assert len(puts) == 2
    assert max(puts) <= PUT_REQUEST_BYTES_MAX
    assert sum(puts) > PUT_REQUEST_BYTES_MAX  # so one request would not have done


def test_put_vectors_counts_each_value_at_its_longest_text_before_cutting_by_count(invoke, s3v):
    # 500 vectors of 1,800 values whose text is 24 bytes (-0.000012814234651159495 as float32)
    # are 21.6 MB as JSON, over 20 MiB: the bound that lets the bodies wait for their lanes must
    # see it (a bound of 20 bytes a value would not: one request, refused by the service).
    longest = struct.unpack(">f", struct.pack(">f", -0.000012814234651159495))[0]
    vectors = [{"key": f"l{i:03d}", "data": [longest] * 1800} for i in range(500)]
    result, puts = _put_to_new_index(invoke, s3v, "long", vectors)
    assert result["chunk_count"] == len(puts) == 2
    assert max(puts) <= PUT_REQUEST_BYTES_MAX < sum(puts)


def test_metadata_over_40_kb_is_refused_naming_the_vector(invoke, s3v):
    vectors = _vectors(2)
    vectors[1]["metadata"] = {"blob": "x" * 41_000}
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["field"] == "vectors[1].metadata"
    assert s3v.sent == []


def test_metadata_with_more_than_50_keys_is_refused_naming_the_vector(invoke, s3v):
    vectors = _vectors(2)
    vectors[1]["metadata"] = {f"k{j}": j for j in range(51)}
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["field"] == "vectors[1].metadata"
    assert "50" in error["message"]
    assert s3v.sent == []


def test_filterable_metadata_over_2_kb_is_refused_naming_the_vector(invoke, s3v):
    vectors = _vectors(2)
    vectors[0]["metadata"] = {"text": "x" * 3000}
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["field"] == "vectors[0].metadata"
    assert "non-filterable" in error["message"]
    assert "PutVectors" not in s3v.sent


def test_duplicate_keys_in_one_put_are_refused(invoke, s3v):
    vectors = _vectors(3)
    vectors[2]["key"] = vectors[0]["key"]
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["field"] == "vectors[2].key"
    assert s3v.sent == []


def test_delete_vectors_removes_keys_in_chunks_of_500_and_ignores_unknown_ones(invoke, s3v):
    vectors = _vectors(1100)
    ok(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    doomed = [v["key"] for v in vectors] + ["doc-00", "never-existed"]
    sent_before = s3v.sent.count("DeleteVectors")
    result = ok(
        invoke({"operation": "delete_vectors", "index_arn": DOCS_ARN, "vector_ids": doomed})
    )
    # Each key once, in request order: the answer names what the caller may consider deleted.
    assert result == {
        "deleted_count": 1102,
        "deleted_keys": list(dict.fromkeys(doomed)),
        "chunk_count": 3,
    }
    assert s3v.sent.count("DeleteVectors") - sent_before == 3
    assert s3v.stored_keys(DOCS_ARN) == sorted(d["key"] for d in DOCS[1:])


def test_a_put_whose_answer_could_not_name_every_key_is_refused_before_anything_is_written(
    invoke, s3v
):
    # 600 keys of 1024 characters outside the BMP: each is 12 bytes per character once the
    # runtime ASCII-escapes the answer, 7.4 MB in all, over Lambda's 6 MB response.
    keys = [chr(0x1F600 + i % 64) * 1023 + chr(0x4E00 + i) for i in range(600)]
    vectors = [{"key": k, "data": [1.0, 0.5, 0.25, 0.125]} for k in keys]
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["type"] == "ValidationError" and error["field"] == "vectors"
    assert "fewer" in error["message"]
    assert "PutVectors" not in s3v.sent
    deleted = refused(
        invoke({"operation": "delete_vectors", "index_arn": DOCS_ARN, "vector_ids": keys})
    )
    assert deleted["field"] == "vector_ids"
    assert "DeleteVectors" not in s3v.sent

    # 500 such keys (one PutVectors, what SQL sends per invocation) always fit.
    result = ok(
        invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors[:500]})
    )
    assert result["written_keys"] == keys[:500]


def test_the_put_body_the_bridge_serialises_is_the_request_botocore_would_send(invoke, s3v):
    # The bridge serialises PutVectors itself (client.OWN_BODY): the JSON it sends must be the
    # very request, every float exact, metadata as given (UTF-8, not escaped).
    bodies: list[bytes] = []
    client.s3vectors().meta.events.register(
        "before-send.s3vectors.PutVectors", lambda request, **_: bodies.append(request.body)
    )
    rng = random.Random(11)
    vectors = [
        {
            "key": f"exact-{i}",
            "data": [rng.uniform(-2, 2), 1e-30 * (i + 1), -3.4e38, 0.1],
            "metadata": {"é": "ü", "n": i, "big": 10**300},
        }
        for i in range(3)
    ]
    ok(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert [json.loads(body) for body in bodies] == [
        {
            "indexArn": DOCS_ARN,
            "vectors": [
                {"key": v["key"], "data": {"float32": v["data"]}, "metadata": v["metadata"]}
                for v in vectors
            ],
        }
    ]
    stored = s3v.aws.get_vectors(
        indexArn=DOCS_ARN, keys=[v["key"] for v in vectors], returnData=True
    )["vectors"]
    assert [s["data"]["float32"] for s in stored] == [
        [float(np.float32(x)) for x in v["data"]] for v in vectors
    ]


def test_a_put_retried_after_a_503_sends_the_same_body_and_writes_once(invoke, s3v):
    sizes: list[int] = []
    client.s3vectors().meta.events.register(
        "before-send.s3vectors.PutVectors", lambda request, **_: sizes.append(len(request.body))
    )
    s3vectors_faults.inject("PutVectors", code="ServiceUnavailableException", status=503)
    vectors = _vectors(3, prefix="retry")
    result = ok(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert result["written_keys"] == [v["key"] for v in vectors]
    assert len(sizes) == 2 and sizes[0] == sizes[1] > 100
    assert {"retry00000", "retry00002"} <= set(s3v.stored_keys(DOCS_ARN))


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("1.5", "vectors[0].data[1]"),
        (None, "vectors[0].data[1]"),
        (True, "vectors[0].data[1]"),
        (float("nan"), "vectors[0].data[1]"),
        (1e39, "vectors[0].data[1]"),
    ],
)
def test_a_bad_value_is_refused_by_the_models_before_any_request(invoke, s3v, value, field):
    # botocore's own parameter validation is off for the bridge's client: the request models
    # are what stands between a bad value and S3 Vectors.
    vectors = _vectors(2)
    vectors[0]["data"][1] = value
    error = refused(invoke({"operation": "put_vectors", "index_arn": DOCS_ARN, "vectors": vectors}))
    assert error["field"] == field
    assert s3v.sent == []
