"""The Lambda bundle built without Docker: pip downloads wheels for Lambda's platform.

`pip install --platform ... --only-binary=:all:` fetches the manylinux wheels of the
target architecture and Python version whatever the machine synthesizing is, so
`cdk synth` needs neither Docker nor an ARM machine. Docker stays as the fallback when
pip cannot run here (CDK then uses the runtime's bundling image).

The bundle ships byte code: Lambda's /var/task is read-only, so without .pyc files every
cold start compiles every module it imports (tens of ms). The .pyc files must come from the
runtime's Python version (pip's --python-version only picks wheels; a 3.11 compileall
writes cpython-311 files that 3.13 ignores), and are hash-based without a source check
(unchecked-hash) because the zip and the asset copy do not keep the mtimes that a
timestamp-based .pyc is checked against. The same Python then records the code the libraries
write and compile while every operation loads (dataclasses' methods, TypedDicts' forward
references, namedtuples): s3vl_bridge/precompiled.py says how a cold start uses it (about a
sixth of its instructions, bench_cold_start).

botocore's data is cut down to the services the function calls (BOTOCORE_SERVICES): its
loader lists every service folder (449 of them) before it loads one model, and parses the
1.2 MB endpoints.json whole, on every cold start (10-20 ms of CPU here, measured with
bench_cold_start). Kept: every top-level file, those services' folders, and their entries in
endpoints.json, so the endpoints they resolve are the ones the whole file gives. The bundle
loses 27 MB of the 28 MB that folder takes.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

PACKAGE = "s3vl_bridge"
REQUIREMENTS = "requirements.txt"
# Lambda's Python 3.13 runs on Amazon Linux 2023 (glibc 2.34): wheels tagged up to
# manylinux_2_28 load there; manylinux2014 (glibc 2.17) is what most projects publish.
_PLATFORMS = {
    "arm64": ("manylinux2014_aarch64", "manylinux_2_28_aarch64"),
    "x86_64": ("manylinux2014_x86_64", "manylinux_2_28_x86_64"),
}

_DOCKER_PLATFORMS = {"arm64": "linux/arm64", "x86_64": "linux/amd64"}

# The services the function creates botocore clients for: S3 Vectors (s3vl_bridge.client),
# X-Ray (the X-Ray SDK's sampling client, when tracing is on) and Bedrock Runtime (embeddings,
# shared/DESIGN.md). tests/infra checks that the bridge's code names no other.
BOTOCORE_SERVICES = ("s3vectors", "xray", "bedrock-runtime")

# Run by the bundle's Python (locally, or in the Docker image): BUNDLE SERVICE... keeps, of
# BUNDLE/botocore/data, the top-level files, the services' folders and their endpoints.
# A script rather than a function so that the Docker fallback runs the same lines.
_TRIM_BOTOCORE_DATA = """
import json, shutil, sys
from pathlib import Path
data = Path(sys.argv[1]) / "botocore" / "data"
keep = set(sys.argv[2:])
if data.is_dir():
    for entry in data.iterdir():
        if entry.is_dir() and entry.name not in keep:
            shutil.rmtree(entry)
    endpoints = data / "endpoints.json"
    document = json.loads(endpoints.read_text(encoding="utf-8"))
    for partition in document["partitions"]:
        services = partition["services"]
        partition["services"] = {name: services[name] for name in services if name in keep}
    endpoints.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
"""


class BundleError(RuntimeError):
    """The bundle could not be built; the message holds pip's own words."""


def build_bundle(
    source: Path, target: Path, *, architecture: str, python_version: str = "3.13"
) -> Path:
    """Install lambda_src's requirements for Lambda's platform into target, then the package."""
    if architecture not in _PLATFORMS:
        raise BundleError(f"architecture must be one of {sorted(_PLATFORMS)}, got {architecture}")
    target.mkdir(parents=True, exist_ok=True)
    platforms = [arg for tag in _PLATFORMS[architecture] for arg in ("--platform", tag)]
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        *platforms,
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--upgrade",
        "--target",
        str(target),
        "--requirement",
        str(source / REQUIREMENTS),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundleError(f"pip could not build the bundle:\n{result.stderr.strip()}")
    package = target / PACKAGE
    if package.exists():
        shutil.rmtree(package)
    shutil.copytree(
        source / PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    trim_botocore_data(target)
    if compile_bundle(target, python_version=python_version):
        record_precompiled(target, python_version=python_version)
    return target


def trim_command(target: str, python: str = "python") -> str:
    """The shell command that trims target's botocore data (the Docker fallback's step)."""
    services = " ".join(shlex.quote(service) for service in BOTOCORE_SERVICES)
    return f"{python} -c {shlex.quote(_TRIM_BOTOCORE_DATA)} {shlex.quote(target)} {services}"


def trim_botocore_data(target: Path, services: tuple[str, ...] = BOTOCORE_SERVICES) -> None:
    """Cut target/botocore/data down to `services` (nothing happens without botocore)."""
    command = [sys.executable, "-c", _TRIM_BOTOCORE_DATA, str(target), *services]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundleError(f"botocore's data could not be trimmed:\n{result.stderr.strip()}")


def runtime_python(python_version: str = "3.13") -> str | None:
    """An interpreter of the runtime's Python version: pyenv's install first (its shim may
    point elsewhere), then python3.X on PATH; None when there is none."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    pattern = f"versions/{python_version}*/bin/python{python_version}"
    for candidate in sorted(Path(pyenv_root).glob(pattern)):
        return str(candidate)
    return shutil.which(f"python{python_version}")


def compile_bundle(target: Path, *, python_version: str = "3.13") -> bool:
    """Write the bundle's .pyc files with the runtime's Python; True when they were written.
    Without that interpreter the step is skipped (the bundle still works, it only compiles
    at each cold start): byte code of another version would be ignored by the runtime.
    A file compileall cannot compile (a template shipped as .py) is reported, not fatal."""
    python = runtime_python(python_version)
    if python is None:
        print(
            f"s3vl: python{python_version} not found; the bundle ships without byte code",
            file=sys.stderr,
        )
        return False
    command = [
        python,
        "-m",
        "compileall",
        "-q",
        "-j",
        "0",
        "--invalidation-mode",
        "unchecked-hash",
        str(target),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(
            f"s3vl: compileall left some files uncompiled:\n{(result.stdout + result.stderr)}",
            file=sys.stderr,
        )
        return False
    return True


# Run by the runtime's Python on the bundle alone (-I -S, BUNDLE on sys.path): the handler's
# import and a load of every operation (what any first request could load), recording the
# code the libraries write and compile meanwhile (s3vl_bridge/precompiled.py). Nothing is
# sent: the client is made, never called, and no credentials are looked up on the network.
_RECORD_PRECOMPILED = """
import os, sys
sys.path.insert(0, sys.argv[1])
from s3vl_bridge import precompiled
with precompiled.recording(precompiled.FILE):
    from s3vl_bridge import handler, snapstart
    snapstart.load_everything()
"""
# What the recording run sees of an environment: a region for the client, no credentials
# (botocore makes an unsigned client), no instance metadata look-up.
_RECORDING_ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


def record_command(target: str, python: str = "python") -> str:
    """The shell command that records target's precompiled code (the Docker fallback's step)."""
    assignments = " ".join(
        f"{name}={shlex.quote(value)}" for name, value in _RECORDING_ENVIRONMENT.items()
    )
    script = shlex.quote(_RECORD_PRECOMPILED)
    return f"env -i {assignments} {python} -I -S -c {script} {shlex.quote(target)}"


def record_precompiled(target: Path, *, python_version: str = "3.13") -> bool:
    """Write target's s3vl_bridge/precompiled.marshal with the runtime's Python; True when it
    was written. Without that interpreter, or when the recording fails, the bundle ships
    without it and compiles that code at each cold start as before (reported, not fatal)."""
    python = runtime_python(python_version)
    if python is None:
        return False
    result = subprocess.run(
        [python, "-I", "-S", "-c", _RECORD_PRECOMPILED, str(target)],
        capture_output=True,
        text=True,
        env=_RECORDING_ENVIRONMENT,
        check=False,
    )
    if result.returncode != 0:
        print(f"s3vl: precompiled code not recorded:\n{result.stderr.strip()}", file=sys.stderr)
        return False
    return True


@jsii.implements(ILocalBundling)
class PipLocalBundling:
    """CDK's local bundling hook: builds with pip, or returns False so Docker takes over."""

    def __init__(self, *, source: Path, architecture: str) -> None:
        self._source = source
        self._architecture = architecture

    # jsii hands over the bundling options; they are not needed, hence *_ and **__.
    def try_bundle(self, output_dir: str, *_: Any, **__: Any) -> bool:
        try:
            build_bundle(self._source, Path(output_dir), architecture=self._architecture)
        except (BundleError, OSError) as error:
            print(f"s3vl: local bundling failed, falling back to Docker: {error}", file=sys.stderr)
            return False
        return True


def bridge_code(source: Path, *, architecture: str, runtime: lambda_.Runtime) -> lambda_.Code:
    """The function's code asset: bundled locally with pip, in Docker only as a fallback."""
    return lambda_.Code.from_asset(
        str(source),
        exclude=["**/__pycache__", "**/*.pyc", "tests"],
        bundling=BundlingOptions(
            image=runtime.bundling_image,
            platform=_DOCKER_PLATFORMS[architecture],
            local=PipLocalBundling(source=source, architecture=architecture),
            command=[
                "bash",
                "-c",
                f"pip install --no-compile -r {REQUIREMENTS} -t /asset-output"
                f" && cp -r {PACKAGE} /asset-output/"
                f" && {trim_command('/asset-output')}"
                # The bundling image is the runtime's own Python: its byte code is the right one.
                " && python -m compileall -q -j 0 --invalidation-mode unchecked-hash"
                " /asset-output"
                f" && {record_command('/asset-output', python='$(command -v python)')}",
            ],
        ),
    )
