"""devstack/load.py: a put-vectors file into an index through the bridge (or straight to
S3 Vectors), with a progress bar on stderr; run as a separate process, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.local_path import LocalPath

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def run_load(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack.load", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def index_arn(path: LocalPath, index: str = "items") -> str:
    return path.client.get_index(vectorBucketName=path.bucket, indexName=index)["index"]["indexArn"]


def test_loading_through_the_bridge_writes_every_vector_and_shows_progress(
    path: LocalPath, tmp_path: Path
) -> None:
    vectors = [
        {"key": f"f{i}", "data": {"float32": [float(i), 1.0, 2.0, 3.0]}, "metadata": {"i": i}}
        for i in range(1, 1201)
    ]
    file = tmp_path / "vectors.json"
    file.write_text(json.dumps(vectors))
    done = run_load(str(file), "--index-arn", index_arn(path), "--lambda-url", path.function.url)
    assert done.returncode == 0, done.stderr
    assert "1200/1200 vectors 100%" in done.stderr
    assert "500/1200" in done.stderr  # one line per batch's tenth, not only the end
    stored = path.vectors()
    assert set(stored) == {f"f{i}" for i in range(1, 1201)}
    assert stored["f1200"] == ([1200.0, 1.0, 2.0, 3.0], {"i": 1200})


def test_loading_straight_to_s3_vectors_takes_the_wrapped_file_format(
    path: LocalPath, tmp_path: Path
) -> None:
    file = tmp_path / "vectors.json"
    file.write_text(json.dumps({"vectors": [{"key": "w", "data": {"float32": [1, 2, 3, 4]}}]}))
    url = path.client.meta.endpoint_url
    done = run_load(str(file), "--index-arn", index_arn(path), "--s3vectors-url", url)
    assert done.returncode == 0, done.stderr
    assert path.key_set() == {"w"}


def test_a_refused_vector_stops_the_load_saying_what_was_written(
    path: LocalPath, tmp_path: Path
) -> None:
    vectors = [{"key": f"b{i}", "data": [1.0, 2.0, 3.0, 4.0]} for i in range(600)]
    vectors[550]["data"] = [1.0, 2.0]  # wrong dimension, in the second batch
    file = tmp_path / "vectors.json"
    file.write_text(json.dumps(vectors))
    done = run_load(str(file), "--index-arn", index_arn(path), "--lambda-url", path.function.url)
    assert done.returncode == 1
    assert "500 of 600 vectors were written" in done.stderr
    assert "vectors[50].data" in done.stderr
    assert path.key_set() == {f"b{i}" for i in range(500)}


def test_a_missing_file_is_a_clear_error(path: LocalPath, tmp_path: Path) -> None:
    done = run_load(str(tmp_path / "nope.json"), "--index-arn", index_arn(path),
                    "--lambda-url", path.function.url)  # fmt: skip
    assert done.returncode == 1 and "no such file" in done.stderr
