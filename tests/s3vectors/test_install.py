"""install() and uninstall(): the local service swapped in at moto's route table, and out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

import devstack.s3vectors as s3v
from tests.support.s3vectors import make_client


@pytest.fixture
def restore_install_state() -> Iterator[None]:
    was_installed = s3v.installed()
    try:
        yield
    finally:
        (s3v.install if was_installed else s3v.uninstall)()


def create_wide_index(client: object, bucket: str) -> None:
    client.create_vector_bucket(vectorBucketName=bucket)  # type: ignore[attr-defined]
    client.create_index(  # type: ignore[attr-defined]
        vectorBucketName=bucket, indexName="wide", dataType="float32", dimension=4096,
        distanceMetric="cosine",
    )  # fmt: skip


def test_uninstall_gives_moto_its_own_service_back_and_install_swaps_the_local_one_in(
    restore_install_state: None,
) -> None:
    from moto.s3vectors import urls

    s3v.uninstall()
    moto_routes = urls.url_paths
    with mock_aws():
        client = make_client()
        # moto's own service refuses dimension 4096 (it checks `>= 4096`); AWS accepts it.
        with pytest.raises(ClientError, match="between 1 and 4096"):
            create_wide_index(client, "plain")
        s3v.install()
        assert urls.url_paths is not moto_routes
        create_wide_index(client, "local")
        index = client.get_index(vectorBucketName="local", indexName="wide")["index"]
        assert index["dimension"] == 4096
        assert index["indexMode"] == "ENHANCED"  # the local backend answered
    s3v.uninstall()
    assert urls.url_paths is moto_routes
    assert not s3v.installed()


def test_install_is_idempotent(restore_install_state: None) -> None:
    from moto.s3vectors import urls

    s3v.install()
    routes = urls.url_paths
    s3v.install()
    assert urls.url_paths is routes
    assert s3v.installed()


def test_the_local_service_leaves_motos_classes_as_they_are(restore_install_state: None) -> None:
    from moto.s3vectors.models import S3VectorsBackend
    from moto.s3vectors.responses import S3VectorsResponse

    before = (dict(vars(S3VectorsBackend)), dict(vars(S3VectorsResponse)))
    s3v.install()
    with mock_aws():
        client = make_client()
        create_wide_index(client, "untouched")
    s3v.uninstall()
    assert (dict(vars(S3VectorsBackend)), dict(vars(S3VectorsResponse))) == before
