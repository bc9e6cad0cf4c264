"""Synthesize the s3vl stack once per configuration and share the result across tests.

Each configuration is synthesized into its own cloud assembly with cdk-nag attached the way
app.py attaches it, asset bundling skipped (`aws:cdk:bundling-stacks: []`) so synth stays
fast and offline. The shipped cdk.json context is the base, so the defaults are tested too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.config import Settings
from infra.stack import S3vlStack

ROOT = Path(__file__).resolve().parents[2]
LAMBDA_SOURCE = ROOT / "lambda_src"
SHIPPED_CONTEXT: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]

EXISTING_VPC = {
    "networkMode": "existing",
    "vpcId": "vpc-0a1b2c3d4e5f60718",
    "subnetIds": "subnet-0a1b2c3d4e5f60001,subnet-0a1b2c3d4e5f60002",
    "auroraSecurityGroupId": "sg-0a1b2c3d4e5f60003",
}
KMS_KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TITAN = "amazon.titan-embed-text-v2:0"
COHERE = "cohere.embed-english-v3"


@dataclass(frozen=True)
class Synthesized:
    """One synthesized configuration: its template, nag report and template file, and the
    context the test gave (what a test expects comes from there, not from parsed settings)."""

    settings: Settings
    template: Template
    template_file: Path
    nag_report: dict[str, Any]
    context: dict[str, Any]

    def resources(self, resource_type: str, props: Any = None) -> dict[str, dict[str, Any]]:
        return self.template.find_resources(
            resource_type, {"Properties": props} if props is not None else None
        )

    def only(self, resource_type: str, props: Any = None) -> tuple[str, dict[str, Any]]:
        """The single resource of a type (matching props); fails when there are more."""
        found = self.resources(resource_type, props)
        assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
        return next(iter(found.items()))

    def statements_of_role(self, role_id: str) -> list[dict[str, Any]]:
        """Every policy statement attached to the role (inline policies of the template)."""
        statements: list[dict[str, Any]] = []
        for policy in self.resources("AWS::IAM::Policy").values():
            if {"Ref": role_id} in policy["Properties"]["Roles"]:
                statements += policy["Properties"]["PolicyDocument"]["Statement"]
        return statements

    @property
    def nag_violations(self) -> list[dict[str, Any]]:
        return [v for report in self.nag_report["pluginReports"] for v in report["violations"]]

    @property
    def nag_acknowledged(self) -> list[dict[str, Any]]:
        return [
            v
            for report in self.nag_report["pluginReports"]
            for v in report.get("suppressedViolations", [])
        ]


def synthesize(outdir: Path, overrides: dict[str, Any], stack_factory: Callable | None = None):
    """Build the app as app.py does (plus the test context) and synthesize it into outdir."""
    context = {**SHIPPED_CONTEXT, **overrides, "aws:cdk:bundling-stacks": []}
    app = cdk.App(context=context, outdir=str(outdir))
    settings = Settings.from_context(app.node.try_get_context)
    if stack_factory is None:
        S3vlStack(app, settings.stack_name, settings=settings, lambda_source=LAMBDA_SOURCE)
    else:
        stack_factory(app)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    try:
        app.synth()
    except RuntimeError as error:  # nag errors fail the synth; the report says which
        if "ValidationFailed" not in str(error):
            raise
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    return settings, report


def synthesized(outdir: Path, overrides: dict[str, Any]) -> Synthesized:
    settings, report = synthesize(outdir, overrides)
    template_file = outdir / f"{settings.stack_name}.template.json"
    assert report, "cdk-nag wrote no validation report: is the plugin attached?"
    assert template_file.exists(), f"no template written; nag report: {report}"
    return Synthesized(
        settings=settings,
        template=Template.from_json(json.loads(template_file.read_text())),
        template_file=template_file,
        nag_report=report,
        context=overrides,
    )


@pytest.fixture(scope="session")
def synthesize_app() -> Callable[..., tuple[Settings, dict[str, Any]]]:
    """The synth harness itself, for tests that check it can fail."""
    return synthesize


@pytest.fixture(scope="session")
def synth_default(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The shipped defaults: new VPC without NAT, SSE-S3, no cluster identifier."""
    return synthesized(tmp_path_factory.mktemp("default"), {})


@pytest.fixture(scope="session")
def synth_existing(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Existing VPC with endpoints, KMS, a named Aurora cluster and every knob turned."""
    return synthesized(
        tmp_path_factory.mktemp("existing"),
        {
            **EXISTING_VPC,
            "kmsKeyArn": KMS_KEY_ARN,
            "auroraClusterId": "orders-cluster",
            "indexes": [
                {"name": "products", "dimension": 1024, "metric": "cosine"},
                {
                    "name": "reviews.v2",
                    "dimension": 8,
                    "metric": "euclidean",
                    "nonFilterableKeys": ["body", "source"],
                },
            ],
            "architecture": "x86_64",
            "memoryMb": "1024",
            "timeoutSeconds": "60",
            "reservedConcurrency": "20",
            "logRetentionDays": "90",
            "snapStart": "true",
        },
    )


@pytest.fixture(scope="session")
def synth_nat(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Existing VPC whose subnets use a NAT gateway: no endpoints, egress to prefix lists."""
    return synthesized(
        tmp_path_factory.mktemp("nat"),
        {
            **EXISTING_VPC,
            "natEgress": "true",
            "egressPrefixListIds": "pl-0a1b2c3d4e5f60004",
            "auroraLambdaEndpoint": "false",
            "embeddingModels": TITAN,  # as `-c embeddingModels=...` gives it
        },
    )


@pytest.fixture(scope="session")
def synth_embeddings(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The defaults plus two Bedrock embedding models: a new VPC, so an endpoint for them."""
    return synthesized(tmp_path_factory.mktemp("embeddings"), {"embeddingModels": [TITAN, COHERE]})


@pytest.fixture(scope="session")
def synth_nat_open(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """Existing VPC with NAT and no prefix list given; the vector store is not retained."""
    return synthesized(
        tmp_path_factory.mktemp("nat-open"),
        {**EXISTING_VPC, "natEgress": True, "retainVectorStore": "false"},
    )


# Searchable keys and modes (issue 12): two indexes set up after creation, one left alone.
TEXT_SEARCH_INDEXES = [
    {
        "name": "products",
        "dimension": 384,
        "nonFilterableKeys": ["description"],
        "searchableKeys": [
            {"metadataKey": "title", "language": "en"},
            {"metadataKey": "description"},
        ],
    },
    {"name": "legacy", "dimension": 8, "indexMode": "ENHANCED"},
    {"name": "plain", "dimension": 8},
]


@pytest.fixture(scope="session")
def synth_text_search(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The defaults with TEXT_SEARCH_INDEXES: an index setup function and two resources."""
    return synthesized(tmp_path_factory.mktemp("text-search"), {"indexes": TEXT_SEARCH_INDEXES})


@pytest.fixture(
    scope="session",
    params=["default", "existing", "nat", "nat_open", "embeddings", "text_search"],
)
def every_synth(request: pytest.FixtureRequest) -> Synthesized:
    return request.getfixturevalue(f"synth_{request.param}")
