"""The parts of moto the local S3 Vectors service relies on, checked one by one.

devstack.s3vectors subclasses moto's s3vectors backend, models and response and swaps its
response into moto's route table (see devstack/s3vectors/__init__.py). A moto release that
renames, drops or reshapes any of these fails here with a message naming the part, instead
of the local path breaking somewhere downstream. Adapt devstack/s3vectors/ to the new release,
then move the moto range in pyproject.toml.
"""

from __future__ import annotations

import inspect
import tomllib
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from packaging.requirements import Requirement

import devstack.s3vectors as s3v
from tests.support.s3vectors import make_client

ROOT = Path(__file__).resolve().parents[2]
MOTO = version("moto")
ACCOUNT = "123456789012"
REGION = "us-east-1"
ADAPT = "adapt devstack/s3vectors/ to it, then move the moto range in pyproject.toml"


def parameters(function: Callable[..., Any]) -> list[str]:
    return [name for name in inspect.signature(function).parameters if name != "self"]


def expect_parameters(owner: type, method: str, expected: list[str]) -> None:
    function = getattr(owner, method, None)
    assert callable(function), f"moto {MOTO}: {owner.__name__}.{method} is gone; {ADAPT}"
    found = parameters(function)
    assert found == expected, (
        f"moto {MOTO}: {owner.__name__}.{method} takes {found}; devstack.s3vectors calls it "
        f"with {expected}; {ADAPT}"
    )


def expect_attributes(instance: object, names: list[str]) -> None:
    missing = [name for name in names if not hasattr(instance, name)]
    assert not missing, (
        f"moto {MOTO}: {type(instance).__name__} has no {missing}, which devstack.s3vectors "
        f"reads; {ADAPT}"
    )


@pytest.fixture
def routes_as_moto_has_them() -> Iterator[None]:
    """moto's own route table for the test, the previous state afterwards."""
    was_installed = s3v.installed()
    s3v.uninstall()
    try:
        yield
    finally:
        if was_installed:
            s3v.install()


def test_the_installed_moto_is_in_the_pinned_range() -> None:
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    pins = [Requirement(r) for r in groups["devstack"] if isinstance(r, str)]
    (moto,) = [pin for pin in pins if pin.name == "moto"]
    assert moto.specifier, "pyproject.toml: moto needs an upper bound (the extension's surface)"
    assert any(s.operator in ("<", "<=", "~=", "==") for s in moto.specifier), (
        f"pyproject.toml: {moto} has no upper bound; a moto minor release can change the "
        "surface devstack.s3vectors extends"
    )
    assert moto.specifier.contains(MOTO), f"moto {MOTO} is installed, outside {moto.specifier}"


def test_moto_s3vectors_routes_are_a_table_of_operation_paths(routes_as_moto_has_them) -> None:
    from moto.s3vectors import urls
    from moto.s3vectors.responses import S3VectorsResponse

    assert isinstance(urls.url_paths, dict), f"moto {MOTO}: s3vectors url_paths is no dict"
    assert "{0}/PutVectors$" in urls.url_paths, (
        f"moto {MOTO}: s3vectors routes are no longer '{{0}}/Operation$' paths; {ADAPT}"
    )
    assert urls.url_paths["{0}/PutVectors$"] == S3VectorsResponse.dispatch
    assert urls.url_bases, f"moto {MOTO}: s3vectors has no url_bases"


def test_moto_reads_the_route_table_on_every_request(routes_as_moto_has_them) -> None:
    """Both mock_aws and the server build routes from a backend's `urls`/`flask_paths`,
    which read moto.s3vectors.urls.url_paths when called: so replacing the table routes."""
    from moto.s3vectors.models import s3vectors_backends
    from moto.s3vectors.responses import S3VectorsResponse

    from devstack.s3vectors.responses import LocalS3VectorsResponse

    backend = s3vectors_backends[ACCOUNT]["aws"]  # one backend per partition
    assert set(backend.urls.values()) == {S3VectorsResponse.dispatch}
    s3v.install()
    assert set(backend.urls.values()) == {LocalS3VectorsResponse.dispatch}
    assert set(backend.flask_paths.values()) == {LocalS3VectorsResponse.dispatch}
    assert any(path.endswith("/QueryVectors") for path in backend.flask_paths)
    s3v.uninstall()
    assert set(backend.urls.values()) == {S3VectorsResponse.dispatch}


def test_the_backend_methods_devstack_overrides_or_calls_keep_their_signatures() -> None:
    from moto.s3vectors.models import S3VectorsBackend

    index = ["vector_bucket_name", "index_name", "index_arn"]
    expect_parameters(S3VectorsBackend, "__init__", ["region_name", "account_id"])
    expect_parameters(
        S3VectorsBackend,
        "create_vector_bucket",
        ["region", "vector_bucket_name", "encryption_configuration", "tags"],
    )
    expect_parameters(
        S3VectorsBackend, "get_vector_bucket", ["vector_bucket_name", "vector_bucket_arn"]
    )
    expect_parameters(
        S3VectorsBackend,
        "create_index",
        [
            "vector_bucket_name",
            "vector_bucket_arn",
            "index_name",
            "data_type",
            "dimension",
            "distance_metric",
            "tags",
        ],
    )
    expect_parameters(S3VectorsBackend, "get_index", index)
    expect_parameters(S3VectorsBackend, "put_vectors", [*index, "vectors"])
    expect_parameters(S3VectorsBackend, "get_vectors", [*index, "keys"])
    expect_parameters(S3VectorsBackend, "list_vectors", index)
    expect_parameters(S3VectorsBackend, "delete_vectors", [*index, "keys"])


def test_the_backend_keeps_buckets_and_indexes_where_devstack_swaps_them() -> None:
    """LocalS3VectorsBackend lets moto create a bucket or index, then replaces the stored
    object with its subclass: under the bucket's ARN in `vector_buckets`, under the index's
    ARN in the bucket's `indexes`."""
    from moto.s3vectors.models import Index, S3VectorsBackend, VectorBucket

    backend = S3VectorsBackend(REGION, ACCOUNT)
    expect_attributes(backend, ["vector_buckets", "account_id"])
    backend.create_vector_bucket(REGION, "surface", {})
    (bucket,) = backend.vector_buckets.values()
    assert isinstance(bucket, VectorBucket)
    expect_attributes(
        bucket, ["vector_bucket_name", "vector_bucket_arn", "encryption_configuration", "indexes"]
    )
    assert list(backend.vector_buckets) == [bucket.vector_bucket_arn], (
        f"moto {MOTO}: vector_buckets is no longer keyed by the bucket ARN; {ADAPT}"
    )
    backend.create_index("surface", bucket.vector_bucket_arn, "idx", "float32", 3, "cosine")
    (index,) = bucket.indexes.values()
    assert isinstance(index, Index)
    expect_attributes(
        index,
        [
            "vectorBucketName",
            "index_name",
            "index_arn",
            "dimension",
            "data_type",
            "distance_metric",
        ],
    )
    assert list(bucket.indexes) == [index.index_arn], (
        f"moto {MOTO}: a bucket's indexes are no longer keyed by the index ARN; {ADAPT}"
    )
    assert backend.get_index("surface", "idx", "") is index


def test_the_models_devstack_subclasses_keep_their_constructors() -> None:
    from moto.s3vectors.models import Index, Vector, VectorBucket

    expect_parameters(VectorBucket, "__init__", ["arn", "name", "encryption_configuration"])
    expect_parameters(
        Index, "__init__", ["bucket", "name", "dimension", "data_type", "distance_metric"]
    )
    expect_parameters(Vector, "__init__", ["key", "data", "metadata"])


def test_the_response_offers_what_the_subclass_uses() -> None:
    from moto.core.responses import BaseResponse
    from moto.s3vectors.responses import S3VectorsResponse

    assert issubclass(S3VectorsResponse, BaseResponse)
    expect_parameters(S3VectorsResponse, "__init__", [])
    expect_parameters(S3VectorsResponse, "call_action", [])
    expect_parameters(BaseResponse, "_get_action", [])
    expect_parameters(BaseResponse, "_get_param", ["param_name", "if_none"])
    assert isinstance(inspect.getattr_static(S3VectorsResponse, "s3vectors_backend"), property)
    assert inspect.ismethod(S3VectorsResponse.dispatch), "dispatch is no longer a classmethod"
    # Operations devstack leaves to moto: their methods must still exist and call the backend.
    for method in (
        "create_vector_bucket",
        "delete_vector_bucket",
        "list_vector_buckets",
        "delete_index",
        "tag_resource",
        "untag_resource",
        "list_tags_for_resource",
    ):
        assert callable(getattr(S3VectorsResponse, method, None)), (
            f"moto {MOTO}: S3VectorsResponse.{method} is gone; {ADAPT}"
        )


def test_a_request_gives_the_response_its_account_region_and_body(client) -> None:
    """moto's request setup fills current_account and region (which backend serves) and
    body (read for PutVectors' 20 MiB check): a bucket made in another region lands in that
    account's backend with that region in its ARN, and a put goes through."""
    from devstack.s3vectors.backend import local_backends

    other = make_client(region="eu-west-1")
    other.create_vector_bucket(vectorBucketName="elsewhere")
    arns = list(local_backends[ACCOUNT]["aws"].vector_buckets)
    assert arns == [f"arn:aws:s3vectors:eu-west-1:{ACCOUNT}:bucket/elsewhere"]
    other.create_index(
        vectorBucketName="elsewhere", indexName="idx", dataType="float32", dimension=2,
        distanceMetric="cosine",
    )  # fmt: skip
    other.put_vectors(
        vectorBucketName="elsewhere",
        indexName="idx",
        vectors=[{"key": "a", "data": {"float32": [1, 0]}}],
    )
    assert other.get_vectors(vectorBucketName="elsewhere", indexName="idx", keys=["a"])["vectors"]


def test_the_core_pieces_devstack_builds_on_are_there() -> None:
    from moto.core.base_backend import AccountSpecificBackend, BackendDict
    from moto.core.common_types import TYPE_RESPONSE
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult, EmptyResult
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from moto.utilities.utils import PARTITION_NAMES, get_partition

    expect_parameters(
        BackendDict,
        "__init__",
        ["backend", "service_name", "use_boto3_regions", "additional_regions"],
    )
    assert callable(AccountSpecificBackend.reset)
    assert TYPE_RESPONSE and ActionResult and EmptyResult
    # errors.py: a subclass sets `code` and passes the message; moto serializes it by the model.
    message = ServiceException("what went wrong").message  # type: ignore[call-arg]
    assert message == "what went wrong", f"moto {MOTO}: ServiceException(message) changed"
    expect_parameters(DomainDispatcherApplication, "__init__", ["create_app"])
    assert callable(create_backend_app) and issubclass(MotoRequestHandler, object)
    assert "aws" in PARTITION_NAMES and get_partition(REGION) == "aws"


def test_botocore_models_the_operations_moto_does_not_route() -> None:
    """moto parses every request with botocore's model of the service, the new operations
    included."""
    from devstack.s3vectors.responses import NEW_OPERATIONS

    model = botocore.session.get_session().get_service_model("s3vectors")
    missing = [name for name in NEW_OPERATIONS if name not in model.operation_names]
    assert not missing, f"botocore's s3vectors model has no {missing}"
