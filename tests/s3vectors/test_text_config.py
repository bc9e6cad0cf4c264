"""Text search configurations: CreateIndex, UpdateMetadataConfiguration and GetIndex, the
BUILDING -> ACTIVE rule, and each bad configuration refused naming its field with nothing
changed."""

from __future__ import annotations

import pytest

from tests.support.s3vectors import BUCKET, create_index, expect_validation


def text_config(client, selector):
    configuration = client.get_index(**selector)["index"].get("metadataConfiguration", {})
    return configuration.get("textSearchConfigurations")


@pytest.fixture
def bucket(client):
    client.create_vector_bucket(vectorBucketName=BUCKET)
    return BUCKET


def make(client, name, **configuration):
    create_index(client, BUCKET, name, 2, metadataConfiguration=configuration)
    return {"vectorBucketName": BUCKET, "indexName": name}


def search(client, selector, key, text="shoes"):
    return client.query_vectors(
        **selector, topK=10, queryTexts=[{"metadataKey": key, "text": text}]
    )["vectors"]


def test_create_index_configures_searchable_keys_get_index_reports_them_active(client, bucket):
    selector = make(
        client,
        "idx",
        nonFilterableMetadataKeys=["body"],
        textSearchConfigurations=[
            {"metadataKey": "title", "language": "en"},
            {"metadataKey": "body"},  # a non-filterable key may be searchable
        ],
    )
    assert client.get_index(**selector)["index"]["metadataConfiguration"] == {
        "nonFilterableMetadataKeys": ["body"],
        "textSearchConfigurations": [
            {"metadataKey": "title", "language": "en", "status": "ACTIVE"},
            {"metadataKey": "body", "status": "ACTIVE"},
        ],
    }


def test_a_key_added_to_an_index_with_vectors_is_building_for_one_report_then_active(
    client, bucket
):
    selector = make(client, "idx", textSearchConfigurations=[{"metadataKey": "title"}])
    client.put_vectors(
        **selector,
        vectors=[
            {"key": "a", "data": {"float32": [1, 0]}, "metadata": {"body": "Trail shoes"}},
            {"key": "b", "data": {"float32": [0, 1]}, "metadata": {"body": "A rain jacket"}},
        ],
    )
    answer = client.update_metadata_configuration(
        **selector, add={"textSearchConfigurations": [{"metadataKey": "body", "language": "en"}]}
    )
    assert answer["indexArn"].endswith("/index/idx")
    expect_validation(lambda: search(client, selector, "body"), "queryTexts[0].metadataKey")
    assert text_config(client, selector)[1] == {
        "metadataKey": "body",
        "language": "en",
        "status": "BUILDING",
    }
    assert text_config(client, selector)[1]["status"] == "ACTIVE"
    # the backfill found the vectors written before the key was added
    assert [hit["key"] for hit in search(client, selector, "body", "shoe")] == ["a"]


def test_a_key_added_to_an_empty_index_is_active_at_once(client, bucket):
    selector = make(client, "idx")
    client.update_metadata_configuration(
        **selector, add={"textSearchConfigurations": [{"metadataKey": "title"}]}
    )
    assert search(client, selector, "title") == []
    assert text_config(client, selector) == [{"metadataKey": "title", "status": "ACTIVE"}]


def test_a_deleted_key_is_no_longer_searchable(client, bucket):
    selector = make(
        client,
        "idx",
        textSearchConfigurations=[{"metadataKey": "title"}, {"metadataKey": "body"}],
    )
    client.update_metadata_configuration(
        **selector, delete={"textSearchConfigurations": [{"metadataKey": "title"}]}
    )
    assert text_config(client, selector) == [{"metadataKey": "body", "status": "ACTIVE"}]
    expect_validation(lambda: search(client, selector, "title"), "queryTexts[0].metadataKey")


def test_a_status_sent_back_from_get_index_is_accepted_and_ignored(client, bucket):
    selector = make(
        client, "idx", textSearchConfigurations=[{"metadataKey": "title", "status": "BUILDING"}]
    )
    assert text_config(client, selector) == [{"metadataKey": "title", "status": "ACTIVE"}]


ELEVEN = [{"metadataKey": f"k{i}"} for i in range(11)]


@pytest.mark.parametrize(
    ("configurations", "field"),
    [
        (ELEVEN, "metadataConfiguration.textSearchConfigurations"),
        (
            [{"metadataKey": "title"}, {"metadataKey": "title", "language": "fr"}],
            "metadataConfiguration.textSearchConfigurations[1].metadataKey",
        ),
        (
            [{"metadataKey": "title", "language": "xx"}],
            "metadataConfiguration.textSearchConfigurations[0].language",
        ),
        (
            [{"metadataKey": "title", "language": "none"}],
            "metadataConfiguration.textSearchConfigurations[0].language",
        ),
        (
            [{"metadataKey": "k" * 64}],
            "metadataConfiguration.textSearchConfigurations[0].metadataKey",
        ),
        ([{"metadataKey": ""}], "metadataConfiguration.textSearchConfigurations[0].metadataKey"),
        (
            [{"metadataKey": "title", "status": "READY"}],
            "metadataConfiguration.textSearchConfigurations[0].status",
        ),
        (
            [{"language": "en"}],
            "metadataConfiguration.textSearchConfigurations[0].metadataKey",
        ),
    ],
    ids=[
        "eleven",
        "key twice",
        "language",
        "none",
        "key too long",
        "empty key",
        "status",
        "no key",
    ],
)
def test_a_bad_configuration_at_creation_is_refused_and_no_index_made(
    client, raw_client, bucket, configurations, field
):
    expect_validation(
        lambda: create_index(
            raw_client,
            BUCKET,
            "idx",
            2,
            metadataConfiguration={"textSearchConfigurations": configurations},
        ),
        field,
    )
    assert client.list_indexes(vectorBucketName=BUCKET)["indexes"] == []


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({}, "add"),
        ({"add": {"textSearchConfigurations": [{"metadataKey": "title"}]}},
         "add.textSearchConfigurations[0].metadataKey"),
        ({"delete": {"textSearchConfigurations": [{"metadataKey": "color"}]}},
         "delete.textSearchConfigurations[0].metadataKey"),
        ({"add": {"textSearchConfigurations": [{"metadataKey": "color"}]},
          "delete": {"textSearchConfigurations": [{"metadataKey": "color"}]}},
         "delete.textSearchConfigurations[0].metadataKey"),
        ({"add": {"textSearchConfigurations": [{"metadataKey": "body", "language": "fr"}]},
          "delete": {"textSearchConfigurations": [{"metadataKey": "body"}]}},
         "add.textSearchConfigurations[0].metadataKey"),
        ({"add": {"textSearchConfigurations": [{"metadataKey": f"k{i}"} for i in range(9)]}},
         "add.textSearchConfigurations"),
        ({"add": {"textSearchConfigurations": ELEVEN}}, "add.textSearchConfigurations"),
        ({"delete": {"textSearchConfigurations": []}}, "delete.textSearchConfigurations"),
        ({"add": {"textSearchConfigurations": [{"metadataKey": "x", "language": "klingon"}]}},
         "add.textSearchConfigurations[0].language"),
        ({"add": {"textSearchConfigurations": [{"metadataKey": "x"}, {"metadataKey": "x"}]}},
         "add.textSearchConfigurations[1].metadataKey"),
    ],
    ids=[
        "nothing", "already searchable", "not searchable", "not searchable, also added",
        "added and deleted", "over ten in all", "eleven added", "empty delete", "language",
        "added twice",
    ],
)  # fmt: skip
def test_a_bad_update_is_refused_naming_its_field_and_changes_nothing(
    client, raw_client, bucket, update, field
):
    selector = make(
        client, "idx", textSearchConfigurations=[{"metadataKey": "title"}, {"metadataKey": "body"}]
    )
    before = text_config(client, selector)
    expect_validation(lambda: raw_client.update_metadata_configuration(**selector, **update), field)
    assert text_config(client, selector) == before
