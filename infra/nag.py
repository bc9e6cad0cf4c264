"""cdk-nag AwsSolutions findings accepted on purpose, each acknowledged with its reason.

cdk-nag 3 runs as a CDK policy-validation plugin: an unacknowledged error fails the synth
and is listed in cdk.out/validation-report.json. Acknowledgments go on the narrowest
construct that carries the finding, so the same finding anywhere else still fails.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import Construct, IConstruct

from infra.aurora_access import AuroraAccess
from infra.bridge_function import BridgeFunction
from infra.index_setup import IndexSetup

PACK = "AwsSolutions"


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Accept one AwsSolutions finding (rule like 'L1' or 'IAM5[Resource::*]') here."""
    Validations.of(construct).acknowledge(
        Acknowledgment(id=f"{PACK}::{PACK}-{rule}", reason=reason)
    )


def suppress_findings(
    *, bridge: BridgeFunction, aurora: AuroraAccess, index_setup: IndexSetup | None = None
) -> None:
    acknowledge(
        bridge.function,
        "L1",
        "The wire contract pins Python 3.13: the bundle is built and tested for cp313 wheels; "
        "moving to a newer runtime is a deliberate change of the bundle, not a default.",
    )
    if index_setup is not None:
        acknowledge(
            index_setup.function,
            "L1",
            "The index setup function runs from the bridge's bundle (cp313 wheels, boto3 pinned "
            "for the s3vectors text search API), so it runs the bridge's Python 3.13.",
        )
    acknowledge(
        bridge.role,
        "IAM5[Resource::*]",
        "Only two statements use '*', both required by AWS: the VPC ENI actions (the ENIs do "
        "not exist before Lambda creates them, ec2:Describe* has no resource-level "
        "permissions) and X-Ray PutTraceSegments/PutTelemetryRecords (no resource types).",
    )
    if aurora.association is not None:
        # The AwsCustomResource runs in CDK's own singleton function, whose role comes with
        # the basic execution policy; its permissions beyond that are the two rds actions on
        # the named cluster and iam:PassRole on the Aurora role only.
        provider_role = aurora.association.grant_principal
        assert isinstance(provider_role, Construct)
        acknowledge(
            provider_role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AWSLambdaBasicExecutionRole]",
            "CDK's AwsCustomResource provider only writes its own logs with this policy; it "
            "runs once per deploy to associate the Aurora role with the cluster.",
        )
