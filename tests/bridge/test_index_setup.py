"""The deploy-time index setup (Custom::S3vlIndexSetup, lambda_src/s3vl_bridge/index_setup.py)
against the local S3 Vectors service: CloudFormation's events in, the index's mode and
searchable keys out, and the outcome PUT to a ResponseURL served here on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from s3vl_bridge import index_setup

from devstack.s3vectors.backend import LEGACY_BUCKET_TAG
from tests.support.bridge import DOCS_ARN, REGION
from tests.support.s3vectors import create_index

LEGACY_ARN = DOCS_ARN.replace("bucket/bridge-test/index/docs", "bucket/legacy-bucket/index/old")


class Answers:
    """CloudFormation's side: the bodies PUT to the ResponseURL, and when each arrived."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.arrived = threading.Event()


@pytest.fixture
def response_url() -> Iterator[tuple[str, Answers]]:
    answers = Answers()

    class Receiver(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers["Content-Length"])
            answers.bodies.append(json.loads(self.rfile.read(length)))
            answers.headers.append(dict(self.headers))
            self.send_response(200)
            self.end_headers()
            answers.arrived.set()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/presigned?X-Amz-Signature=abc", answers
    finally:
        server.shutdown()
        server.server_close()


def event(
    request_type: str,
    url: str,
    properties: dict[str, Any],
    old: dict[str, Any] | None = None,
    physical_id: str | None = None,
) -> dict[str, Any]:
    made: dict[str, Any] = {
        "RequestType": request_type,
        "ResponseURL": url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/S3vl/1",
        "RequestId": "request-1",
        "LogicalResourceId": "IndexSetupIndexdocs",
        "ResourceType": index_setup.RESOURCE_TYPE,
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:...", **properties},
    }
    if old is not None:
        made["OldResourceProperties"] = {"ServiceToken": "arn:aws:lambda:...", **old}
    if physical_id is not None:
        made["PhysicalResourceId"] = physical_id
    return made


def searchable(aws: Any, arn: str = DOCS_ARN) -> dict[str, str | None]:
    index = aws.get_index(indexArn=arn)["index"]
    configured = (index.get("metadataConfiguration") or {}).get("textSearchConfigurations", [])
    return {c["metadataKey"]: c.get("language") for c in configured}


def mode(aws: Any, arn: str) -> str:
    return aws.get_index(indexArn=arn)["index"]["indexMode"]


TITLE_EN = {"metadataKey": "title", "language": "en"}
GENRE = {"metadataKey": "genre"}


def test_create_adds_the_keys_and_answers_success(s3v, response_url):
    url, answers = response_url
    properties = {
        "IndexArn": DOCS_ARN,
        "IndexMode": "ENHANCED",
        "SearchableKeys": [TITLE_EN, GENRE],
    }
    index_setup.on_event(event("Create", url, properties))
    assert answers.arrived.is_set()
    (body,) = answers.bodies
    assert body["Status"] == "SUCCESS", body
    assert body["PhysicalResourceId"] == f"{DOCS_ARN}/setup"
    assert (body["RequestId"], body["LogicalResourceId"]) == ("request-1", "IndexSetupIndexdocs")
    assert body["StackId"].endswith("stack/S3vl/1")
    assert answers.headers[0].get("Content-Type", "") == ""  # as the pre-signed URL was signed
    assert searchable(s3v.aws) == {"title": "en", "genre": None}
    # The genre values already stored were analysed: a text query finds them.
    found = s3v.aws.query_vectors(
        indexArn=DOCS_ARN, topK=20, queryTexts=[{"metadataKey": "genre", "text": "film"}]
    )
    assert sorted(v["key"] for v in found["vectors"]) == ["doc-02", "doc-05", "doc-08", "doc-11"]


def test_create_switches_a_classic_index_to_enhanced(s3v, response_url):
    url, answers = response_url
    s3v.aws.create_vector_bucket(vectorBucketName="legacy-bucket", tags={LEGACY_BUCKET_TAG: "true"})
    create_index(s3v.aws, "legacy-bucket", "old", 4)
    assert mode(s3v.aws, LEGACY_ARN) == "CLASSIC"
    properties = {"IndexArn": LEGACY_ARN, "IndexMode": "ENHANCED", "SearchableKeys": [TITLE_EN]}
    index_setup.on_event(event("Create", url, properties))
    assert answers.bodies[0]["Status"] == "SUCCESS"
    assert mode(s3v.aws, LEGACY_ARN) == "ENHANCED"
    assert searchable(s3v.aws, LEGACY_ARN) == {"title": "en"}


def recording_client() -> tuple[Any, list[str]]:
    """The test's own client on the local service, recording each operation it sends."""
    aws = boto3.client("s3vectors", region_name=REGION)
    sent: list[str] = []
    aws.meta.events.register(
        "before-send.s3vectors", lambda request, **_: sent.append(request.url.rsplit("/", 1)[-1])
    )
    return aws, sent


def test_update_changes_only_what_differs_and_keeps_keys_added_by_others(s3v):
    before = {"IndexArn": DOCS_ARN, "IndexMode": "ENHANCED", "SearchableKeys": [TITLE_EN, GENRE]}
    index_setup.apply(event("Create", "", before))
    # SQL's s3vl.add_searchable_keys added one of its own meanwhile.
    s3v.aws.update_metadata_configuration(
        indexArn=DOCS_ARN, add={"textSearchConfigurations": [{"metadataKey": "year"}]}
    )
    after = {
        "IndexArn": DOCS_ARN,
        "IndexMode": "ENHANCED",
        "SearchableKeys": [{"metadataKey": "title", "language": "fr"}, {"metadataKey": "n"}],
    }
    aws, sent = recording_client()
    physical = index_setup.apply(event("Update", "", after, old=before), aws)
    assert physical == f"{DOCS_ARN}/setup"
    # genre (dropped) and title (language changed) deleted, then title and n added.
    assert searchable(s3v.aws) == {"year": None, "title": "fr", "n": None}
    assert sent == ["GetIndex", "UpdateMetadataConfiguration", "UpdateMetadataConfiguration"]

    sent.clear()  # the same properties again: nothing to change
    index_setup.apply(event("Update", "", after, old=after), aws)
    assert sent == ["GetIndex"]


def test_an_empty_list_removes_the_keys_the_resource_configured(s3v):
    before = {"IndexArn": DOCS_ARN, "IndexMode": "", "SearchableKeys": [GENRE]}
    index_setup.apply(event("Create", "", before))
    s3v.aws.update_metadata_configuration(
        indexArn=DOCS_ARN, add={"textSearchConfigurations": [{"metadataKey": "year"}]}
    )
    index_setup.apply(event("Update", "", {**before, "SearchableKeys": []}, old=before))
    assert searchable(s3v.aws) == {"year": None}


def test_without_searchable_keys_the_keys_are_left_alone(s3v):
    s3v.aws.update_metadata_configuration(
        indexArn=DOCS_ARN, add={"textSearchConfigurations": [GENRE]}
    )
    aws, sent = recording_client()
    index_setup.apply(event("Create", "", {"IndexArn": DOCS_ARN, "IndexMode": "ENHANCED"}), aws)
    assert sent == ["GetIndex"]  # already ENHANCED, keys not managed
    assert searchable(s3v.aws) == {"genre": None}


def test_a_replaced_index_starts_afresh(s3v):
    """A new index (a new ARN) owes nothing to the old one's keys: none is deleted there."""
    create_index(s3v.aws, "bridge-test", "docs2", 4)
    new_arn = f"{DOCS_ARN}2"
    old = {"IndexArn": DOCS_ARN, "IndexMode": "", "SearchableKeys": [GENRE]}
    new = {"IndexArn": new_arn, "IndexMode": "", "SearchableKeys": [TITLE_EN]}
    physical = index_setup.apply(event("Update", "", new, old=old))
    assert physical == f"{new_arn}/setup"
    assert searchable(s3v.aws, new_arn) == {"title": "en"}


def test_delete_changes_nothing_and_answers_success(s3v, response_url):
    url, answers = response_url
    s3v.aws.update_metadata_configuration(
        indexArn=DOCS_ARN, add={"textSearchConfigurations": [GENRE]}
    )
    properties = {"IndexArn": DOCS_ARN, "IndexMode": "ENHANCED", "SearchableKeys": [GENRE]}
    index_setup.on_event(event("Delete", url, properties, physical_id=f"{DOCS_ARN}/setup"))
    assert answers.bodies[0]["Status"] == "SUCCESS"
    assert answers.bodies[0]["PhysicalResourceId"] == f"{DOCS_ARN}/setup"
    assert searchable(s3v.aws) == {"genre": None}


def test_a_refusal_by_s3_vectors_fails_the_resource_with_its_message(s3v, response_url):
    url, answers = response_url
    index_setup.on_event(event("Create", url, {"IndexArn": DOCS_ARN, "IndexMode": "CLASSIC"}))
    (body,) = answers.bodies
    assert body["Status"] == "FAILED"
    assert "ValidationException" in body["Reason"]
    assert "indexMode" in body["Reason"]
    assert body["PhysicalResourceId"] == "IndexSetupIndexdocs-failed"
    assert mode(s3v.aws, DOCS_ARN) == "ENHANCED"


def test_too_many_keys_fail_with_nothing_added(s3v, response_url):
    url, answers = response_url
    keys = [{"metadataKey": f"k{i}"} for i in range(11)]
    index_setup.on_event(event("Create", url, {"IndexArn": DOCS_ARN, "SearchableKeys": keys}))
    assert answers.bodies[0]["Status"] == "FAILED"
    assert "textSearchConfigurations" in answers.bodies[0]["Reason"]
    assert searchable(s3v.aws) == {}


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "http://example.com/presigned", "ftp://127.0.0.1/x", "gopher://x"],
)
def test_the_answer_goes_only_to_https_or_loopback(url):
    with pytest.raises(ValueError, match="ResponseURL must be https"):
        index_setup.answer(event("Delete", url, {"IndexArn": DOCS_ARN}), "SUCCESS", "id")
