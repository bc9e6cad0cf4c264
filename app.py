#!/usr/bin/env python3
"""CDK entry point: reads the context, builds the s3vl stack, runs cdk-nag. No AWS call."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import ConfigError, Settings
from infra.stack import S3vlStack

LAMBDA_SOURCE = Path(__file__).resolve().parent / "lambda_src"


def main() -> None:
    app = cdk.App()
    try:
        settings = Settings.from_context(app.node.try_get_context)
    except ConfigError as error:
        raise SystemExit(f"s3vl: {error}") from None
    S3vlStack(app, settings.stack_name, settings=settings, lambda_source=LAMBDA_SOURCE)
    # cdk-nag 3 is a policy-validation plugin: an unacknowledged error fails the synth.
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main()
