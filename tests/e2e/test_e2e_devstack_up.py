"""`python -m devstack up`, run as a user runs it: it finishes, shows the walkthrough in psql's
tables and prints the five connection lines."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest

from devstack.stack import ROOT
from tests.support.bedrock import invoke as invoke_bedrock
from tests.support.bedrock import make_client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo() -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return subprocess.run(
        [sys.executable, "-m", "devstack", "up"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def test_devstack_up_succeeds_quietly(demo: subprocess.CompletedProcess[str]) -> None:
    assert demo.returncode == 0, demo.stderr
    assert demo.stderr == ""


def test_devstack_up_prints_the_connection_lines(demo: subprocess.CompletedProcess[str]) -> None:
    lines = dict(
        line.split("=", 1) for line in demo.stdout.splitlines() if re.match(r"^[A-Z0-9_]+=", line)
    )
    assert set(lines) == {
        "DATABASE_URL",
        "S3VECTORS_URL",
        "BEDROCK_URL",
        "LAMBDA_URL",
        "LAMBDA_ARN",
    }
    assert re.fullmatch(r"postgresql://postgres@127\.0\.0\.1:\d+/s3vl_demo", lines["DATABASE_URL"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", lines["S3VECTORS_URL"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", lines["BEDROCK_URL"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", lines["LAMBDA_URL"])
    assert lines["LAMBDA_ARN"] == "arn:aws:lambda:us-east-1:123456789012:function:s3vl-bridge"


def test_devstack_up_shows_the_walkthrough_in_psql_tables(
    demo: subprocess.CompletedProcess[str],
) -> None:
    out = demo.stdout
    assert [int(n) for n in re.findall(r"^== (\d+)\.", out, re.M)] == list(range(1, 11))
    assert re.search(r"^ vec_048 +\| +1\.0000 \| identical$", out, re.M)
    # Part 2, questions in words: the catalog embedded, and hot coffee's thermos found first.
    assert re.search(r"^ +300 \| +0 \| +0$", out, re.M)
    assert re.search(r"^ +1 \| Stainless steel vacuum thermos", out, re.M)
    assert re.search(r"^ vec_999 +\| f ", out, re.M)
    assert '"_aws"' not in out  # the function's metrics went to its log, not the terminal


def test_devstack_up_removes_its_cluster(demo: subprocess.CompletedProcess[str]) -> None:
    url = re.search(r"^DATABASE_URL=(.+)$", demo.stdout, re.M)
    assert url is not None
    probe = subprocess.run(
        ["psql", "-X", "-d", url.group(1), "-c", "SELECT 1"],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PGCONNECT_TIMEOUT": "3"},
    )  # fmt: skip
    assert probe.returncode != 0


def test_devstack_up_keep_stays_up_for_psql_until_interrupted() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack", "up", "--keep"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = bedrock_url = None
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("DATABASE_URL="):
                url = line.strip().split("=", 1)[1]
            if line.startswith("BEDROCK_URL="):
                bedrock_url = line.strip().split("=", 1)[1]
            if line.startswith("devstack up: up."):
                break
        assert url is not None, process.stderr.read() if process.stderr else ""
        assert bedrock_url is not None
        query = (
            "SELECT count(*) FROM s3vl.query_vectors(ARRAY[0.1, 0.2, 0.3, 0.4, 0.5], 'demo-index')"
        )
        own = subprocess.run(
            ["psql", "-X", "-At", "-d", url, "-c", query],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert own.stdout.strip() == "10", own.stderr
        embedded, _ = invoke_bedrock(
            make_client(bedrock_url), "amazon.titan-embed-text-v2:0", {"inputText": "a thermos"}
        )
        assert len(embedded["embedding"]) == 1024
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        gone = subprocess.run(
            ["psql", "-X", "-d", url, "-c", "SELECT 1"],
            capture_output=True, text=True, check=False,
            env={**os.environ, "PGCONNECT_TIMEOUT": "3"},
        )  # fmt: skip
        assert gone.returncode != 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
