"""Production-shaped: the whole local path with AWS's latencies (devstack/production_latency.py,
warm profile: a query 100 ms, a ListVectors page 100 ms, a write 100 ms and 2,500 vectors a
second per index, an invocation 20 ms), so the ratios mean what they would on AWS.

    python -m bench bench_production

The local S3 Vectors service and the Lambda endpoint run as processes of their own, started
with --production-latency (the service's numpy then works on one thread per request), on an
index of 10,000 x 768 cosine vectors. Tables:
  1. query_vectors_batch of 100 query vectors (top_k 10) against the bridge's concurrency
     (S3VL_MAX_WORKERS, a fresh function for each value), and against 100 single
     s3vl.query_vectors statements in one session: the curve the default is chosen from.
     "modelled waits" is what the batch would take with no CPU anywhere (its rounds of queries
     and one invocation); "in flight/s" the QueryVectors a second it asks of the index.
  2. top_k 10,000 end to end (QueryVectors pages of 100: 100 pages), beside top_k 100.
  3. Writes of 10,000 768-d rows, 500 a batch, each to an index of its own: PutVectors as the
     bridge calls it (its client, from this process: issue 11's floor), s3vl.put_vectors (the
     arrays form) and s3vl.flush of a synced table; rows a second against the floor and
     against the index's 2,500 a second.
  4. s3vl.scan_vectors of the 10,000 vectors: LIMIT 10 (one ListVectors page) against all (20).
Besides wall time each row shows the CPU seconds the local service, the function's process
and the session's PostgreSQL backend spent: waits cost none, so CPU near the wall time means
this machine, not the modelled latency, set the pace. The service's CPU (exact search, parsing)
is AWS's in production, inside its figures; the function's (boto3, JSON) and the database's are
ours there too, the function's on a smaller share of a CPU at 512 MB. Each figure is the median
of REPEATS runs after one untimed run (the function's first call imports and makes its client).
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DIMENSION = 768
VECTORS = 10_000
QUERIES = 100
TOP_K = 10
# S3VL_MAX_WORKERS: 1..64 (BridgeSettings). A batch of 100 goes in rounds of this many queries:
# 25 and 32 take four, 34 three, 50 and 64 two.
CONCURRENCY = (1, 2, 4, 8, 16, 25, 32, 34, 50, 64)
# lambda_src/s3vl_bridge/settings.py's default, chosen from table 1 (the reasons are there).
DEFAULT_WORKERS = 32
REPEATS = 3
WRITE_ROUNDS = 3  # table 3: a write takes 4-10 s, and this machine's speed varies ~8% run to run
SEED = 11
BUCKET = "bench-production"
INDEX = "bench-index"
FLUSH_INDEX = "bench-flush"
FLOOR_INDEX = "bench-floor"
PUT_INDEX = "bench-put"
PROFILE = "warm"
# A busy machine (2 cores shared) must not turn slow answers into timeouts: the function, its
# S3 Vectors calls (S3VL_READ_TIMEOUT_S) and s3vl's invocations wait long enough.
TIMEOUT_S = 300


def unit_rows(rng: np.random.Generator, count: int) -> np.ndarray:
    rows = rng.standard_normal((count, DIMENSION)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@contextlib.contextmanager
def serve(
    *args: str, keys: tuple[str, ...], environment: Mapping[str, str] | None = None
) -> Iterator[dict[str, str]]:
    """`python -m devstack ARGS` in a process of its own (environment added to ours); yields
    the KEY=value lines it announces and PID. Its other output (metrics) is dropped."""
    env = {**os.environ, "POWERTOOLS_LOG_LEVEL": "ERROR", **(environment or {})}
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack", *args],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            yield {**announced(output, process, keys), "PID": str(process.pid)}
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def announced(output: Any, process: subprocess.Popen[str], keys: tuple[str, ...]) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        output.seek(0)
        text = output.read()
        lines = [line.split("=", 1) for line in text.splitlines() if "=" in line]
        found = {key: value for key, value in lines if key in keys}
        if len(found) == len(keys):
            return found
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    raise RuntimeError(f"{process.args!r} did not print {', '.join(keys)} within 60 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (/proc/PID/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Measured:
    runs: tuple[float, ...]  # wall time of each run
    service_cpu: float  # CPU seconds of the local S3 Vectors service per run
    function_cpu: float  # CPU seconds of the function's process per run
    database_cpu: float  # CPU seconds of the sessions' PostgreSQL backends per run

    @property
    def seconds(self) -> float:
        return statistics.median(self.runs)

    def __add__(self, other: Measured) -> Measured:
        """Both measurements' runs, and the mean CPU per run over both."""

        def mean(a: float, b: float) -> float:
            return (a * len(self.runs) + b * len(other.runs)) / (len(self.runs) + len(other.runs))

        return Measured(
            self.runs + other.runs,
            mean(self.service_cpu, other.service_cpu),
            mean(self.function_cpu, other.function_cpu),
            mean(self.database_cpu, other.database_cpu),
        )

    def cells(self) -> str:
        return (
            f"{self.seconds:>7.2f} | {self.service_cpu:>11.2f} | {self.function_cpu:>12.2f} |"
            f" {self.database_cpu:>12.2f}"
        )


CPU_HEADER = f"{'seconds':>7} | {'service CPU':>11} | {'function CPU':>12} | {'database CPU':>12}"


class Processes:
    def __init__(self, service_pid: int) -> None:
        self.service_pid = service_pid
        self.function_pid = 0
        self.database_pid = 0
        self.more_database_pids: list[int] = []  # other sessions of a measurement, summed

    def measure(
        self, action: Callable[[], Any], repeats: int = REPEATS, *, warm_up: bool = True
    ) -> Measured:
        """The median wall time of `repeats` runs (after one untimed run), and the mean CPU."""
        if warm_up:
            action()
        pids = (self.service_pid, self.function_pid, self.database_pid, *self.more_database_pids)
        before = [cpu_seconds(pid) for pid in pids]
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            action()
            runs.append(time.perf_counter() - started)
        cpu = [(cpu_seconds(p) - b) / repeats for p, b in zip(pids, before, strict=True)]
        return Measured(tuple(runs), cpu[0], cpu[1], sum(cpu[2:]))


def load(client: Any, index_arn: str, rows: np.ndarray) -> None:
    for start in range(0, len(rows), 500):
        client.put_vectors(indexArn=index_arn, vectors=[
            {"key": f"v{start + i:05d}", "data": {"float32": row.tolist()},
             "metadata": {"group": (start + i) % 10}}
            for i, row in enumerate(rows[start : start + 500])
        ])  # fmt: skip


def copy_rows(conn: Any, table: str, rows: np.ndarray) -> None:
    buffer = io.StringIO()
    for i, row in enumerate(rows):
        buffer.write(f"v{i:05d}\t{{{','.join(f'{x:.7g}' for x in row)}}}\t{i % 10}\n")
    with conn.cursor().copy(f"COPY {table} (key, emb, grp) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


class Statements:
    """The statements measured, in one session."""

    def __init__(self, conn: Any, queries: np.ndarray) -> None:
        self.conn = conn
        self.vectors = queries.tolist()

    def batch(self, index: str) -> Callable[[], None]:
        def run() -> None:
            (rows,) = self.conn.execute(
                "SELECT count(*) FROM s3vl.query_vectors_batch(%b, index_name => %s, top_k => %s)",
                [self.vectors, index, TOP_K],
            ).fetchone()
            assert rows == QUERIES * TOP_K, rows

        return run

    def singles(self, index: str) -> Callable[[], None]:
        def run() -> None:
            for vector in self.vectors:
                (rows,) = self.conn.execute(
                    "SELECT count(*) FROM s3vl.query_vectors(%b, index_name => %s, top_k => %s)",
                    [vector, index, TOP_K],
                ).fetchone()
                assert rows == TOP_K, rows

        return run

    def top_k(self, k: int) -> Callable[[], None]:
        def run() -> None:
            (rows,) = self.conn.execute(
                "SELECT count(*) FROM s3vl.query_vectors(%b, index_name => %s, top_k => %s)",
                [self.vectors[0], INDEX, k],
            ).fetchone()
            assert rows == k, rows

        return run

    def scan(self, limit: int | None) -> Callable[[], None]:
        def run() -> None:  # LIMIT NULL is no limit
            found = self.conn.execute(
                "SELECT vector_id FROM s3vl.scan_vectors(%s) LIMIT %s", [INDEX, limit]
            ).fetchall()
            assert len(found) == (limit or VECTORS), len(found)

        return run

    def put_vectors(self, rows: np.ndarray) -> Callable[[], None]:
        """s3vl.put_vectors of `rows` (keys, real[] rows, metadata) to PUT_INDEX, in one call."""
        self.conn.execute("CREATE TABLE put_rows (key text PRIMARY KEY, emb real[], grp int)")
        copy_rows(self.conn, "put_rows", rows)

        def run() -> None:
            (written,) = self.conn.execute(
                "SELECT s3vl.put_vectors(%s, array_agg(key ORDER BY key), array_agg(emb ORDER BY"
                " key), array_agg(jsonb_build_object('grp', grp) ORDER BY key)) FROM put_rows",
                [PUT_INDEX],
            ).fetchone()
            assert written == len(rows), written

        return run

    def put_vectors_halves(self, other: Any, count: int) -> Callable[[], None]:
        """put_rows (made by put_vectors) written again in two sessions at once, each its half."""

        def half(conn: Any, first: int, last: int) -> Callable[[], None]:
            def run() -> None:
                (written,) = conn.execute(
                    "SELECT s3vl.put_vectors(%s, array_agg(key ORDER BY key), array_agg(emb ORDER"
                    " BY key), array_agg(jsonb_build_object('grp', grp) ORDER BY key)) FROM"
                    " put_rows WHERE key >= %s AND key < %s",
                    [PUT_INDEX, f"v{first:05d}", f"v{last:05d}"],
                ).fetchone()
                assert written == last - first, written

            return run

        return lambda: at_once([half(self.conn, 0, count // 2), half(other, count // 2, count)])

    def flush_in_two(self, other: Any) -> Callable[[], None]:
        """Every row of `flushed` changed again, then s3vl.flush in two sessions at once (they
        share the queue: FOR UPDATE SKIP LOCKED)."""
        self.change_flushed()

        def flusher(conn: Any) -> Callable[[], None]:
            def run() -> None:
                idle = 0  # calls that found every pending change held by the other session
                while True:
                    (put, pending) = conn.execute(
                        "SELECT put_count, pending_count FROM s3vl.flush(%s)", [FLUSH_INDEX]
                    ).fetchone()
                    if pending == 0:
                        return
                    idle = 0 if put else idle + 1
                    assert idle < 10_000, f"flush sent nothing with {pending} changes pending"

            return run

        return lambda: at_once([flusher(self.conn), flusher(other)])

    def prepare_flush(self, rows: np.ndarray) -> None:
        """A table of `rows` synced to FLUSH_INDEX: every row queued for the flush."""
        self.conn.execute("CREATE TABLE flushed (key text PRIMARY KEY, emb real[], grp int)")
        copy_rows(self.conn, "flushed", rows)
        self.conn.execute(
            "SELECT s3vl.sync_table('flushed', 'key', 'emb', %s, ARRAY['grp'])", [FLUSH_INDEX]
        )

    def change_flushed(self) -> None:
        """Every row of `flushed` changed (its metadata), so each is queued again."""
        self.conn.execute("UPDATE flushed SET grp = grp + 10")

    def flush(self) -> None:
        """s3vl.flush until nothing is left (a call sends at most max_batches, 100, batches)."""
        while True:
            (put, pending) = self.conn.execute(
                "SELECT put_count, pending_count FROM s3vl.flush(%s)", [FLUSH_INDEX]
            ).fetchone()
            if pending == 0:
                return
            assert put > 0, f"flush sent nothing with {pending} changes pending"


def at_once(actions: list[Callable[[], None]]) -> None:
    """Run the actions in threads at once; the first failure is raised."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(len(actions)) as pool:
        for future in [pool.submit(action) for action in actions]:
            future.result()


def floor_puts(url: str, index_arn: str, rows: np.ndarray, writers: int = 1) -> Callable[[], None]:
    """PutVectors of `rows`, 500 a call, by the bridge's own client (bench_write.bridge_put);
    `writers` threads at once, each every writers-th call."""
    from bench.bench_write import bridge_put

    put = bridge_put(url)
    batches = [
        [
            {"key": f"v{start + i:05d}", "data": {"float32": row.tolist()},
             "metadata": {"grp": (start + i) % 10}}
            for i, row in enumerate(rows[start : start + 500])
        ]
        for start in range(0, len(rows), 500)
    ]  # fmt: skip

    def writer(first: int) -> Callable[[], None]:
        def run() -> None:
            for batch in batches[first::writers]:
                put(index_arn, batch)

        return run

    return lambda: at_once([writer(n) for n in range(writers)])


def measure_writes(
    run: Statements, processes: Processes, dsn: str, url: str, floor_arn: str, rows: np.ndarray
) -> tuple[dict[str, Measured], dict[str, Measured]]:
    """Table 3: each write path WRITE_ROUNDS times, the paths taken in turn in every round (so a
    change in this machine's load falls on all of them); one writer, then two at once, each
    path as its users would run it: two threads of PutVectors, two sessions of put_vectors (a
    half each), two flushes sharing the queue."""
    import psycopg

    one: dict[str, Measured] = {}
    two: dict[str, Measured] = {}

    def add(table: dict[str, Measured], name: str, measured: Measured) -> None:
        table[name] = table[name] + measured if name in table else measured

    put = run.put_vectors(rows)
    run.prepare_flush(rows)
    with psycopg.connect(dsn, autocommit=True) as other:
        # Its first invocation loads the session's invoke code: not measured.
        Statements(other, np.asarray(run.vectors[:1])).top_k(1)()
        for round_ in range(WRITE_ROUNDS):
            if round_:
                run.change_flushed()  # every row queued again, untimed
            add(
                one,
                "PutVectors as the bridge calls it (floor)",
                processes.measure(floor_puts(url, floor_arn, rows), 1, warm_up=False),
            )
            add(one, "s3vl.put_vectors (arrays form)", processes.measure(put, 1, warm_up=False))
            add(one, "s3vl.flush", processes.measure(run.flush, 1, warm_up=False))
            processes.more_database_pids = [other.info.backend_pid]
            add(
                two,
                "2 x PutVectors (floor, 2 threads)",
                processes.measure(floor_puts(url, floor_arn, rows, writers=2), 1, warm_up=False),
            )
            add(
                two,
                "2 x s3vl.put_vectors (2 sessions)",
                processes.measure(run.put_vectors_halves(other, VECTORS), 1, warm_up=False),
            )
            add(
                two,
                "2 x s3vl.flush (2 sessions)",
                processes.measure(run.flush_in_two(other), 1, warm_up=False),
            )
            processes.more_database_pids = []
    return one, two  # fmt: skip


def main() -> None:
    import psycopg

    from devstack import stack
    from devstack.postgres import TemporaryCluster
    from devstack.production_latency import PROFILES

    rng = np.random.default_rng(SEED)
    started = time.perf_counter()
    port = free_port()
    curve: dict[int, Measured] = {}
    with (
        TemporaryCluster() as cluster,
        serve("s3vectors", "--production-latency", PROFILE, keys=("S3VECTORS_URL",)) as s3v,
    ):
        url = s3v["S3VECTORS_URL"]
        processes = Processes(int(s3v["PID"]))
        client = stack.s3vectors_client(url)
        client.create_vector_bucket(vectorBucketName=BUCKET)
        bucket_arn = client.get_vector_bucket(vectorBucketName=BUCKET)["vectorBucket"][
            "vectorBucketArn"
        ]
        arns = {}
        for name in (INDEX, FLUSH_INDEX, FLOOR_INDEX, PUT_INDEX):
            arns[name] = stack.create_index(client, BUCKET, stack.IndexSpec(name, DIMENSION))
        rows = unit_rows(rng, VECTORS)
        load(client, arns[INDEX], rows)
        queries = unit_rows(rng, QUERIES)
        loaded = time.perf_counter() - started

        def function(workers: int) -> contextlib.AbstractContextManager[dict[str, str]]:
            return serve(
                "lambda", "--s3vectors-url", url, "--bucket-arn", bucket_arn,
                "--region", stack.REGION, "--port", str(port), "--production-latency", PROFILE,
                "--timeout", str(TIMEOUT_S), keys=("LAMBDA_URL", "LAMBDA_ARN"),
                environment={"S3VL_MAX_WORKERS": str(workers), "S3VL_READ_TIMEOUT_S": "60"},
            )  # fmt: skip

        cluster.create_database("bench")
        stack.install_s3vl(cluster, "bench", lambda_url=f"http://127.0.0.1:{port}")
        # The curve twice, up and down, so a change in this machine's load falls on every value.
        for workers in CONCURRENCY + CONCURRENCY[::-1]:
            with function(workers) as lam:
                processes.function_pid = int(lam["PID"])
                if not curve:
                    for name, arn in arns.items():
                        stack.configure_and_register(
                            cluster, "bench", lambda_arn=lam["LAMBDA_ARN"], index_arn=arn,
                            index_name=name,
                        )  # fmt: skip
                with psycopg.connect(cluster.dsn("bench"), autocommit=True) as conn:
                    conn.execute(
                        "SELECT s3vl.configure(%s, %s, %s, validate => false,"
                        " function_timeout_seconds => %s)",
                        [lam["LAMBDA_ARN"], stack.REGION, TIMEOUT_S, TIMEOUT_S],
                    )
                    processes.database_pid = conn.info.backend_pid
                    run = Statements(conn, queries)
                    repeats = 1 if workers == 1 else REPEATS
                    measured = processes.measure(run.batch(INDEX), repeats)
                    first = workers not in curve
                    curve[workers] = measured if first else curve[workers] + measured
                    if workers != DEFAULT_WORKERS or not first:
                        continue
                    singles = processes.measure(run.singles(INDEX), 1)
                    top_k = {k: processes.measure(run.top_k(k), 2) for k in (100, 10_000)}
                    writes, two = measure_writes(run, processes, cluster.dsn("bench"), url,
                                                 arns[FLOOR_INDEX], rows)  # fmt: skip
                    scans = {n: processes.measure(run.scan(n), 2) for n in (10, None)}

    report(loaded, time.perf_counter() - started, curve, singles)
    profile = PROFILES[PROFILE]
    print("\n2. top_k end to end (QueryVectors pages of 100), one statement")
    header = f"{'top_k':>6} | {'pages':>5} | {CPU_HEADER} | {'ms per page':>11}"
    print(header)
    print("-" * len(header))
    for k, measured in top_k.items():
        pages = -(-k // 100)
        per_page = measured.seconds / pages * 1000
        print(f"{k:>6} | {pages:>5} | {measured.cells()} | {per_page:>11.0f}")
    print(f"\n3. writes of {VECTORS:,} {DIMENSION}-d rows, one index each (median of"
          f" {WRITE_ROUNDS} rounds, the paths in turn)")  # fmt: skip
    share_header = "of the index limit"
    header = f"{'path':<42} | {CPU_HEADER} | {'rows/s':>6} | {'vs floor':>8} | {share_header:>18}"
    print(header)
    print("-" * len(header))
    for table in (writes, two):
        floor = next(iter(table.values())).seconds
        for name, measured in table.items():
            rate = VECTORS / measured.seconds
            share = rate / profile.write_vectors_per_second.seconds
            print(f"{name:<42} | {measured.cells()} | {rate:>6.0f} |"
                  f" {floor / measured.seconds:>7.2f}x | {share:>18.0%}")  # fmt: skip
    print(
        "the floor runs in this process: its client's CPU is in no column; 'vs floor' is against"
        " the first row of its group (one writer, or two). Two sessions share this machine's"
        f" {os.cpu_count()} cores with the function and the service: on AWS each runs apart"
    )
    print(f"\n4. s3vl.scan_vectors of {VECTORS:,} vectors (ListVectors pages of 500)")
    header = f"{'rows':>10} | {'pages':>5} | {CPU_HEADER}"
    print(header)
    print("-" * len(header))
    for limit, measured in scans.items():
        label, pages = (f"LIMIT {limit}", 1) if limit else ("all", VECTORS // 500)
        print(f"{label:>10} | {pages:>5} | {measured.cells()}")


def report(
    loaded: float,
    total: float,
    curve: dict[int, Measured],
    singles: Measured,
) -> None:
    from devstack.production_latency import PROFILES

    profile = PROFILES[PROFILE]
    ms = {op: profile.seconds(op) * 1000 for op in ("QueryVectors", "ListVectors", "PutVectors")}
    print(
        f"production-shaped ({PROFILE}: QueryVectors {ms['QueryVectors']:.0f} ms, ListVectors"
        f" {ms['ListVectors']:.0f} ms, PutVectors {ms['PutVectors']:.0f} ms and"
        f" {profile.write_vectors_per_second.seconds:,.0f} vectors/s per index, Invoke"
        f" {profile.invoke.seconds * 1000:.0f} ms); setup {loaded:.0f} s, total {total:.0f} s"
    )
    print(
        f"\n1. {QUERIES} queries (top_k {TOP_K}) on {VECTORS:,} x {DIMENSION}: one"
        f" query_vectors_batch by S3VL_MAX_WORKERS, against {QUERIES} query_vectors statements"
        f" ({singles.seconds:.2f} s: {singles.seconds / QUERIES * 1000:.0f} ms each; CPU: service"
        f" {singles.service_cpu:.2f} s, function {singles.function_cpu:.2f} s, database"
        f" {singles.database_cpu:.2f} s)"
    )
    query_s, invoke_s = profile.seconds("QueryVectors"), profile.invoke.seconds
    header = (
        f"{'workers':>7} | {CPU_HEADER} | {'vs statements':>13} | {'modelled waits':>14} |"
        f" {'in flight/s':>11}"
    )
    print(header)
    print("-" * len(header))
    for workers, measured in sorted(curve.items()):
        # What the batch would wait with no CPU anywhere: its rounds of queries and one invoke;
        # and the QueryVectors a second it asks of the index while they run.
        waits = -(-QUERIES // workers) * query_s + invoke_s
        rate = min(workers, QUERIES) / query_s
        mark = " (default)" if workers == DEFAULT_WORKERS else ""
        print(
            f"{workers:>7} | {measured.cells()} | {singles.seconds / measured.seconds:>12.1f}x |"
            f" {waits:>14.2f} | {rate:>11.0f}{mark}"
        )
    fastest = min(curve, key=lambda w: curve[w].seconds)
    print(
        f"fastest: {fastest} workers ({curve[fastest].seconds:.2f} s); runs per value:"
        f" {', '.join(f'{w}: {len(m.runs)}' for w, m in sorted(curve.items()))}"
    )


if __name__ == "__main__":
    main()
