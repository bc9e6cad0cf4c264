"""LocalStack: the whole local path in one `with`, as the demo, the tests and bench use it.

    with LocalStack() as stack:
        psycopg.connect(stack.dsn())

A throwaway PostgreSQL cluster (or one the caller runs), the local S3 Vectors service with a
bucket and its indexes (each optionally loaded from a put-vectors file), the Lambda Invoke
endpoint running the real bridge handler serving that bucket (and calling the local Bedrock
Runtime's embedding models, unless `embeddings=False`), and a database with s3vl
installed with psql as a user would (sql/compat/aws_lambda.sql, then sql/install.sql),
configured for the bridge and the indexes registered through it. Everything started is
stopped on exit, in reverse order, and the bucket deleted (the local service's state is the
process's, so a later stack may make the same bucket again). The defaults are the demo's:
bucket s3vl-demo, the 5-dimension cosine index demo-index holding
sample-data/sample-vectors.json, database s3vl_demo with the products table.

The steps are functions too, for callers that run the services their own way (bench).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .s3vectors.limits import MAX_PUT_VECTORS

if TYPE_CHECKING:
    from .bedrock.server import LocalBedrock
    from .lambda_invoke.server import LocalLambda
    from .postgres import TemporaryCluster
    from .production_latency import ProductionLatency
    from .s3vectors.server import LocalS3Vectors

ROOT = Path(__file__).resolve().parents[1]
COMPAT_SQL = ROOT / "sql" / "compat" / "aws_lambda.sql"
INSTALL_SQL = ROOT / "sql" / "install.sql"
SAMPLE_VECTORS = ROOT / "sample-data" / "sample-vectors.json"
PRODUCTS_SQL = ROOT / "sample-data" / "products.sql"
WALKTHROUGH_SQL = ROOT / "sample-data" / "walkthrough.sql"
CATALOG_SQL = ROOT / "sample-data" / "catalog.sql"
WALKTHROUGH_WORDS_SQL = ROOT / "sample-data" / "walkthrough_words.sql"

REGION = "us-east-1"
BUCKET = "s3vl-demo"
INDEX = "demo-index"
DIMENSION = 5
DATABASE = "s3vl_demo"


class StackError(RuntimeError):
    """A step of the local stack failed; the message says which and what to do."""


@dataclass(frozen=True)
class IndexSpec:
    """An index to create in the stack's bucket, and the put-vectors file to load into it."""

    name: str
    dimension: int
    metric: str = "cosine"
    non_filterable_keys: tuple[str, ...] = ()
    vectors: Path | None = None
    searchable_keys: tuple[str, ...] = ()  # full-text searchable metadata keys (English)


DEMO_INDEX = IndexSpec(INDEX, DIMENSION, vectors=SAMPLE_VECTORS)
# The walkthrough's questions in words (walkthrough_words.sql): filled from the catalog table's
# text, embedded with Titan Text Embeddings V2 at its default 1,024 dimensions.
CATALOG_INDEX = IndexSpec("catalog", 1024, searchable_keys=("title", "description"))

# What LocalStack is about to do (or, for "indexes", has done), for a caller that narrates.
Step = Literal["postgres", "s3vectors", "indexes", "bedrock", "lambda", "install", "register"]


class LocalStack:
    """PostgreSQL + local S3 Vectors + local Lambda with the real bridge, s3vl installed."""

    def __init__(
        self,
        *,
        cluster: TemporaryCluster | None = None,
        bucket: str = BUCKET,
        indexes: Sequence[IndexSpec] = (DEMO_INDEX,),
        database: str | None = DATABASE,
        database_sql: Sequence[Path] = (PRODUCTS_SQL,),
        bridge_environment: Mapping[str, str] | None = None,
        on_step: Callable[[Step, LocalStack], None] | None = None,
        production_latency: ProductionLatency | None = None,
        embeddings: bool = True,
    ) -> None:
        """`cluster`: a running cluster to use (left running on exit); None starts a
        throwaway one. `database`: the database made on entry (None: none; add_database
        makes more), with `database_sql` run after s3vl is installed and before the indexes
        are registered. `bridge_environment` adds to (or replaces) the bridge's environment.
        `on_step(step, stack)` is called as each step begins ("indexes": once the indexes
        are made and loaded). `production_latency`: the local service and the Invoke endpoint
        answer as slowly as AWS (devstack/production_latency.py); off by default.
        `embeddings`: start the local Bedrock Runtime and let the bridge call every model it
        serves (S3VL_EMBEDDING_MODELS), as the demo does; its model loads in about a second."""
        self._given_cluster = cluster
        self.bucket = bucket
        self.indexes = tuple(indexes)
        self.database = database
        self.database_sql = tuple(database_sql)
        self.bridge_environment = dict(bridge_environment or {})
        self._on_step = on_step
        self.production_latency = production_latency
        self.embeddings = embeddings
        self._cleanup = contextlib.ExitStack()
        self._cluster: TemporaryCluster | None = None
        self._s3vectors: LocalS3Vectors | None = None
        self._function: LocalLambda | None = None
        self._bedrock: LocalBedrock | None = None
        self.client: Any = None  # boto3 s3vectors client on the local service
        self.bucket_arn = ""
        self.index_arns: dict[str, str] = {}
        self.loaded: dict[str, int] = {}  # vectors loaded from each index's file

    # -- what is running -------------------------------------------------------------------

    @property
    def cluster(self) -> TemporaryCluster:
        return _started(self._cluster, "cluster")

    @property
    def s3vectors(self) -> LocalS3Vectors:
        return _started(self._s3vectors, "s3vectors")

    @property
    def function(self) -> LocalLambda:
        return _started(self._function, "function")

    @property
    def s3vectors_url(self) -> str:
        return self.s3vectors.url

    @property
    def bedrock(self) -> LocalBedrock:
        return _started(self._bedrock, "bedrock")

    @property
    def bedrock_url(self) -> str:
        return self.bedrock.url

    def index_arn(self, name: str | None = None) -> str:
        """The ARN of index `name` (default: the first index)."""
        return self.index_arns[name or self.indexes[0].name]

    def dsn(self, database: str | None = None) -> str:
        """The connection string of `database` (default: the stack's database)."""
        name = database or self.database
        if name is None:
            raise StackError("this stack made no database; pass the name of one it made")
        return self.cluster.dsn(name)

    # -- starting and stopping -------------------------------------------------------------

    def __enter__(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self._cleanup.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._cleanup.close()

    def _start(self) -> None:
        from .lambda_invoke.server import LocalLambda
        from .postgres import TemporaryCluster
        from .s3vectors.server import LocalS3Vectors

        if self._given_cluster is not None:
            self._cluster = self._given_cluster
        else:
            self._step("postgres")
            cluster = TemporaryCluster()
            self._cleanup.callback(cluster.stop)
            self._cluster = cluster.start()

        self._step("s3vectors")
        s3vectors = LocalS3Vectors(production_latency=self.production_latency)
        self._cleanup.callback(s3vectors.stop)
        s3vectors.start()
        self._s3vectors = s3vectors
        self._create_indexes()
        self._step("indexes")

        bedrock_environment: dict[str, str] = {}
        if self.embeddings:
            from .bedrock.catalog import MODELS
            from .bedrock.server import LocalBedrock

            self._step("bedrock")
            bedrock = LocalBedrock()
            self._cleanup.callback(bedrock.stop)
            bedrock.start()
            self._bedrock = bedrock
            bedrock_environment = {
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.url,
                "S3VL_EMBEDDING_MODELS": ",".join(sorted(MODELS)),
            }

        self._step("lambda")
        function = LocalLambda(
            environment={
                "S3VECTORS_ENDPOINT_URL": self.s3vectors_url,
                "S3VL_BUCKET_ARNS": self.bucket_arn,
                "AWS_REGION": REGION,
                **bedrock_environment,
                **self.bridge_environment,
            },
            production_latency=self.production_latency,
        )
        self._cleanup.callback(function.stop)
        self._function = function.start()

        if self.database is not None:
            self.add_database(self.database, sql=self.database_sql, drop_existing=False)

    def _create_indexes(self) -> None:
        self.client = s3vectors_client(self.s3vectors_url)
        self.client.create_vector_bucket(vectorBucketName=self.bucket)
        # The service's state is the process's: the bucket goes, so a later stack may reuse it.
        self._cleanup.callback(delete_bucket, self.client, self.bucket)
        self.bucket_arn = self.client.get_vector_bucket(vectorBucketName=self.bucket)[
            "vectorBucket"
        ]["vectorBucketArn"]
        for spec in self.indexes:
            self.index_arns[spec.name] = create_index(self.client, self.bucket, spec)
            if spec.vectors is not None:
                self.loaded[spec.name] = load_vectors(
                    self.client, self.index_arns[spec.name], spec.vectors
                )

    def add_database(
        self, name: str, *, sql: Sequence[Path] = (), drop_existing: bool = True
    ) -> str:
        """A database with s3vl installed and configured for the bridge, `sql` run, and
        every index registered through the bridge; returns its connection string."""
        cluster = self.cluster
        if drop_existing:
            cluster.psql("-q", "-c", f'DROP DATABASE IF EXISTS "{name}"')
        self._step("install")
        cluster.create_database(name)
        install_s3vl(cluster, name, lambda_url=self.function.url)
        self._step("register")
        for script in sql:
            cluster.psql("-q", "-f", str(script), dbname=name)
        for spec in self.indexes:
            configure_and_register(
                cluster,
                name,
                lambda_arn=self.function.function_arn,
                index_arn=self.index_arns[spec.name],
                index_name=spec.name,
            )
        return cluster.dsn(name)

    def _step(self, step: Step) -> None:
        if self._on_step is not None:
            self._on_step(step, self)


_Part = TypeVar("_Part")


def _started(part: _Part | None, name: str) -> _Part:
    if part is None:
        raise StackError(f"the stack's {name} is not started; use `with LocalStack() as stack`")
    return part


# -- the steps, for callers that run the services themselves --------------------------------


def s3vectors_client(url: str) -> Any:
    import boto3

    return boto3.client(
        "s3vectors",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def delete_bucket(client: Any, bucket: str) -> None:
    """Delete `bucket` and every index in it; a bucket already gone is no error."""
    from botocore.exceptions import ClientError

    with contextlib.suppress(ClientError):
        names, token = [], None
        while True:
            page = client.list_indexes(
                vectorBucketName=bucket, **({"nextToken": token} if token else {})
            )
            names += [index["indexName"] for index in page["indexes"]]
            token = page.get("nextToken")
            if not token:
                break
        for name in names:
            client.delete_index(vectorBucketName=bucket, indexName=name)
        client.delete_vector_bucket(vectorBucketName=bucket)


def create_index(client: Any, bucket: str, spec: IndexSpec) -> str:
    """Create `spec` in `bucket` (which exists); returns the index ARN."""
    configuration: dict[str, Any] = {}
    if spec.non_filterable_keys:
        configuration["nonFilterableMetadataKeys"] = list(spec.non_filterable_keys)
    if spec.searchable_keys:
        configuration["textSearchConfigurations"] = [
            {"metadataKey": key, "language": "en"} for key in spec.searchable_keys
        ]
    extra: dict[str, Any] = {"metadataConfiguration": configuration} if configuration else {}
    client.create_index(
        vectorBucketName=bucket,
        indexName=spec.name,
        dataType="float32",
        dimension=spec.dimension,
        distanceMetric=spec.metric,
        **extra,
    )
    index = client.get_index(vectorBucketName=bucket, indexName=spec.name)["index"]
    return str(index["indexArn"])


def load_vectors(client: Any, index_arn: str, path: Path = SAMPLE_VECTORS) -> int:
    """PutVectors with a put-vectors file (a JSON list of {key, data, metadata}, or
    {"vectors": [...]}) through an s3vectors client; returns how many vectors were written."""
    if not path.is_file():
        raise StackError(f"{path} is missing; it is generated by sample-data/generate.py")
    vectors = json.loads(path.read_text())
    if isinstance(vectors, dict):  # the CLI's --vectors file may also wrap the list
        vectors = vectors["vectors"]
    for start in range(0, len(vectors), MAX_PUT_VECTORS):
        client.put_vectors(indexArn=index_arn, vectors=vectors[start : start + MAX_PUT_VECTORS])
    return len(vectors)


def install_s3vl(cluster: TemporaryCluster, dbname: str, *, lambda_url: str) -> None:
    """compat (aws_lambda on plain PostgreSQL) and install.sql, with psql as a user runs them;
    the database sends its invocations to the local Lambda endpoint."""
    cluster.psql("-q", "-f", str(COMPAT_SQL), dbname=dbname)
    cluster.psql("-q", "-f", str(INSTALL_SQL), dbname=dbname)
    cluster.psql(
        "-q",
        "-v",
        f"db={dbname}",
        "-v",
        f"url={lambda_url}",
        input="ALTER DATABASE :\"db\" SET aws_lambda.endpoint_override = :'url';\n",
        dbname=dbname,
    )


def configure_and_register(
    cluster: TemporaryCluster,
    dbname: str,
    *,
    lambda_arn: str,
    index_arn: str,
    index_name: str = INDEX,
) -> None:
    """s3vl.configure (with its round trip) and s3vl.register_index (describe_index through
    the bridge records dimension and metric)."""
    cluster.psql(
        "-q",
        "-v",
        f"arn={lambda_arn}",
        "-v",
        f"region={REGION}",
        "-v",
        f"index_name={index_name}",
        "-v",
        f"index_arn={index_arn}",
        input=(
            # The local function times out after 30 s (LocalLambda's default), so a send of
            # unknown outcome is in doubt for that long, not Lambda's 900 s maximum.
            "SELECT s3vl.configure(:'arn', :'region', 30, function_timeout_seconds => 30)"
            " \\g /dev/null\n"
            "SELECT s3vl.register_index(:'index_name', :'index_arn', "
            "'sample vectors of the walkthrough') \\g /dev/null\n"
        ),
        dbname=dbname,
    )
