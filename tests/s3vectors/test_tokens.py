"""Pagination tokens (devstack/s3vectors/tokens.py): a token is taken back only by the
operation that made it, anything else is refused naming nextToken, and a payload too long to
travel as a token (boto3 sends at most 4,096 characters) is kept here and found again."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from devstack.s3vectors import tokens
from devstack.s3vectors.errors import ValidationException

LONGEST = 4096  # the botocore model's bound on nextToken


def unpack(token: str) -> dict:
    """What a token carries, read as the docs describe it: URL-safe base64 of JSON."""
    return json.loads(base64.urlsafe_b64decode(token))


def payload_packing_to(length: int) -> dict:
    """A list payload whose token is exactly `length` characters (base64: 4 per 3 bytes)."""
    assert length % 4 == 0
    base = {"a": "", "kind": "list"}
    raw = len(json.dumps(base, separators=(",", ":")))
    return {"a": "k" * (length // 4 * 3 - raw), "kind": "list"}


def test_a_token_comes_back_as_its_payload() -> None:
    payload = {"kind": "query", "d": "0123abcd", "o": 200}
    token = tokens.encode(payload)
    assert unpack(token) == payload
    assert tokens.decode(token, "query") == payload


def test_a_token_of_4096_characters_travels_as_it_is() -> None:
    payload = payload_packing_to(LONGEST)
    token = tokens.encode(payload)
    assert len(token) == LONGEST
    assert unpack(token) == payload
    assert tokens.decode(token, "list") == payload


def test_a_longer_payload_travels_by_reference_and_comes_back_whole() -> None:
    payload = payload_packing_to(LONGEST + 4)
    token = tokens.encode(payload)
    assert len(token) <= LONGEST
    assert set(unpack(token)) == {"kind", "ref"}
    assert unpack(token)["kind"] == "list"
    assert tokens.decode(token, "list") == payload


def test_the_1024_latest_long_payloads_are_kept_and_older_ones_expire() -> None:
    first = tokens.encode(payload_packing_to(LONGEST + 4))
    later = [tokens.encode({**payload_packing_to(LONGEST + 4), "n": n}) for n in range(1023)]
    assert tokens.decode(first, "list")["a"]  # 1024 kept: the first is still there
    assert tokens.decode(later[-1], "list")["n"] == 1022
    tokens.encode({**payload_packing_to(LONGEST + 4), "n": "one more"})
    with pytest.raises(ValidationException) as caught:
        tokens.decode(first, "list")
    assert caught.value.field == "nextToken"
    assert tokens.decode(later[0], "list")["n"] == 0


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'{"kind": "list", "ref": "unknown"}').decode(),
        base64.urlsafe_b64encode(b'{"kind": "query", "a": "k"}').decode(),  # another operation's
        base64.urlsafe_b64encode(b'{"a": "k"}').decode(),
        base64.urlsafe_b64encode(b'{"kind": "list"}').decode() + "é",  # not ASCII
        "",
        None,
        12,
    ],
    # ASCII ids: a test id pytest escapes (a non-ASCII character) cannot be selected by name,
    # which mutation testing does.
    ids=[
        "not base64", "not json", "a list", "an unknown ref", "another operation's", "no kind",
        "not ASCII", "empty", "None", "a number",
    ],
)  # fmt: skip
def test_a_token_not_made_for_the_operation_is_refused_naming_next_token(token) -> None:
    with pytest.raises(ValidationException) as caught:
        tokens.decode(token, "list")
    assert caught.value.field == "nextToken"
    assert caught.value.message == (
        "Invalid value for 'nextToken': the token is not one this operation returned, or it has"
        " expired. Pass the nextToken from the previous response unchanged, or omit it to start"
        " over."
    )


def test_a_list_token_is_refused_by_query(client, make_index) -> None:
    selector = make_index(dimension=2, metric="euclidean")
    client.put_vectors(
        **selector, vectors=[{"key": f"k{i}", "data": {"float32": [i, 1]}} for i in range(3)]
    )
    token = client.list_vectors(**selector, maxResults=1)["nextToken"]
    with pytest.raises(ClientError) as caught:
        client.query_vectors(**selector, topK=3, queryVector={"float32": [1, 1]}, nextToken=token)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["fieldList"][0]["path"] == "nextToken"


def test_request_digests_tell_every_part_apart() -> None:
    digest = tokens.request_digest
    parts = ("arn", 10, b"\x00\x01", {"a": 1}, "ENHANCED")
    base = digest(*parts)
    assert len(base) == 32
    assert int(base, 16) >= 0
    assert digest(*parts) == base
    assert digest("arn", 10, b"\x00\x01", {"a": 1}, "CLASSIC") != base
    assert digest("arn", 11, b"\x00\x01", {"a": 1}, "ENHANCED") != base
    assert digest("arn", 10, b"\x00\x02", {"a": 1}, "ENHANCED") != base
    assert digest("arn", 10, b"\x00\x01", {"a": 2}, "ENHANCED") != base
    assert digest("arn", 10, b"\x00\x01", None, "ENHANCED") != base
    # Parts are kept apart: moving a byte from one part to the next changes the digest.
    assert digest(b"ab", b"c") != digest(b"a", b"bc")
    # Key order in a filter does not matter; the document is what counts.
    assert digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1})
