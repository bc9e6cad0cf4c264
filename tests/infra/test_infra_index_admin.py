"""Index administration (issue 12): with context indexAdmin the function may call
UpdateMetadataConfiguration and UpdateIndexMode on exactly its indexes and is told so;
without it, neither the grant nor the setting exists."""

from __future__ import annotations

import pytest

from infra.config import ConfigError, Settings
from tests.infra.conftest import SHIPPED_CONTEXT, Synthesized, synthesized
from tests.infra.test_infra_iam import (
    HANDLER,
    _allow,
    _assert_statements,
    _bridge_role,
    _expected_bridge_statements,
)


@pytest.fixture(scope="module")
def synth_admin(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesized(tmp_path_factory.mktemp("index-admin"), {"indexAdmin": "true"})


def _environment(synth) -> dict:
    _, function = synth.only("AWS::Lambda::Function", {"Handler": HANDLER})
    return function["Properties"]["Environment"]["Variables"]


def test_the_role_may_administer_exactly_its_indexes(synth_admin):
    index_ids = sorted(synth_admin.resources("AWS::S3Vectors::Index"))
    _assert_statements(
        synth_admin.statements_of_role(_bridge_role(synth_admin)),
        [
            *_expected_bridge_statements(synth_admin),
            _allow(
                ["s3vectors:UpdateIndexMode", "s3vectors:UpdateMetadataConfiguration"],
                [{"Fn::GetAtt": [index, "IndexArn"]} for index in index_ids],
            ),
        ],
    )
    assert _environment(synth_admin)["S3VL_INDEX_ADMIN"] == "true"


def test_without_the_flag_there_is_no_grant_and_no_setting(synth_default):
    statements = synth_default.statements_of_role(_bridge_role(synth_default))
    assert not any("Update" in str(statement["Action"]) for statement in statements)
    assert "S3VL_INDEX_ADMIN" not in _environment(synth_default)


@pytest.mark.parametrize("value", ["yes", "1", 2])
def test_a_flag_that_is_not_true_or_false_is_refused_naming_it(value):
    context = {**SHIPPED_CONTEXT, "indexAdmin": value}
    with pytest.raises(ConfigError, match="'indexAdmin'"):
        Settings.from_context(context.get)
