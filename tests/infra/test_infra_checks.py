"""cdk-nag AwsSolutions and cfn-lint pass on every configuration, with reasons on record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs

from infra.nag import PACK

# The venv's own cfn-lint, beside the interpreter running the tests.
CFN_LINT = Path(sys.executable).parent / "cfn-lint"


def _describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['ruleName']} at {[c['constructPath'] for c in v['violatingConstructs']]}"
        for v in violations
    )


def test_cdk_nag_finds_no_unacknowledged_error(every_synth):
    report = every_synth.nag_report["pluginReports"]
    assert [plugin["pluginName"] for plugin in report] == [PACK]
    errors = [v for v in every_synth.nag_violations if v["severity"] == "error"]
    assert errors == [], _describe(errors)


def test_every_acknowledged_finding_carries_a_reason(every_synth):
    acknowledged = every_synth.nag_acknowledged
    assert acknowledged, "the Python 3.13 pin alone should be acknowledged"
    for finding in acknowledged:
        assert len(finding["reason"]) > 40, f"{finding['ruleName']} lacks a real reason"


def test_the_nag_check_fails_on_a_finding_nobody_acknowledged(tmp_path, synthesize_app):
    """Guards the harness: a queue without TLS enforcement must show up as an error."""

    def careless_stack(app: cdk.App) -> None:
        stack = cdk.Stack(app, "Careless")
        sqs.Queue(stack, "Plain")

    _, report = synthesize_app(tmp_path, {}, stack_factory=careless_stack)
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert "AwsSolutions-SQS4" in rules


def _cfn_lint(template_file: Path) -> list[dict]:
    result = subprocess.run(
        [str(CFN_LINT), "--format", "json", str(template_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip(), f"cfn-lint printed nothing: {result.stderr}"
    return json.loads(result.stdout)


def test_cfn_lint_reports_no_error_on_the_synthesized_template(every_synth):
    findings = _cfn_lint(every_synth.template_file)
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == [], "\n".join(f"{f['Rule']['Id']}: {f['Message']}" for f in errors)


def test_cfn_lint_does_find_errors_in_a_broken_template(tmp_path):
    """Guards the harness: cfn-lint really runs and its errors are seen."""
    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"X": 1}}}})
    )
    assert any(f["Level"] == "Error" for f in _cfn_lint(broken))
