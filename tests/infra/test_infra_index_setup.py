"""Searchable keys and index modes from context (issue 12): one Custom::S3vlIndexSetup per
index that sets them, served by a function running the bridge's bundle with a role limited to
those indexes; bad context refused naming its key. (cdk-nag and cfn-lint run on this synth
with the others: test_infra_checks.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import ConfigError, Settings
from infra.index_setup import HANDLER as SETUP_HANDLER
from infra.index_setup import RESOURCE_TYPE, SETUP_ACTIONS
from tests.infra.conftest import SHIPPED_CONTEXT, TEXT_SEARCH_INDEXES
from tests.infra.test_infra_iam import HANDLER, _allow, _assert_statements


def _index_ids(synth) -> dict[str, str]:
    """Index name -> logical id."""
    return {
        resource["Properties"]["IndexName"]: logical_id
        for logical_id, resource in synth.resources("AWS::S3Vectors::Index").items()
    }


def _arn_of(index_id: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [index_id, "IndexArn"]}


def _setup_function(synth) -> tuple[str, dict[str, Any]]:
    return synth.only("AWS::Lambda::Function", {"Handler": SETUP_HANDLER})


def test_each_index_that_sets_keys_or_a_mode_gets_one_setup_resource(synth_text_search):
    ids = _index_ids(synth_text_search)
    function_id, _ = _setup_function(synth_text_search)
    resources = synth_text_search.resources(RESOURCE_TYPE)
    by_index = {
        resource["Properties"]["IndexArn"]["Fn::GetAtt"][0]: resource["Properties"]
        for resource in resources.values()
    }
    assert by_index == {
        ids["products"]: {
            "ServiceToken": {"Fn::GetAtt": [function_id, "Arn"]},
            "IndexArn": _arn_of(ids["products"]),
            "IndexMode": "ENHANCED",  # searchable keys make the index ENHANCED
            "SearchableKeys": [
                {"metadataKey": "title", "language": "en"},
                {"metadataKey": "description"},
            ],
        },
        ids["legacy"]: {
            "ServiceToken": {"Fn::GetAtt": [function_id, "Arn"]},
            "IndexArn": _arn_of(ids["legacy"]),
            "IndexMode": "ENHANCED",
        },
    }
    # The index keeps CloudFormation's own properties: nothing CfnIndex lacks is forced on it.
    products = synth_text_search.resources("AWS::S3Vectors::Index")[ids["products"]]
    assert products["Properties"]["MetadataConfiguration"] == {
        "NonFilterableMetadataKeys": ["description"]
    }


def test_the_setup_function_runs_the_bridge_bundle_outside_the_vpc(synth_text_search):
    _, setup = _setup_function(synth_text_search)
    _, bridge = synth_text_search.only("AWS::Lambda::Function", {"Handler": HANDLER})
    assert setup["Properties"]["Code"] == bridge["Properties"]["Code"]  # one asset
    assert setup["Properties"]["Runtime"] == bridge["Properties"]["Runtime"] == "python3.13"
    assert setup["Properties"]["Architectures"] == bridge["Properties"]["Architectures"]
    assert "VpcConfig" not in setup["Properties"]
    assert setup["Properties"]["Timeout"] == 300


def test_the_setup_role_may_set_up_exactly_the_indexes_it_serves(synth_text_search):
    ids = _index_ids(synth_text_search)
    _, setup = _setup_function(synth_text_search)
    role_id = setup["Properties"]["Role"]["Fn::GetAtt"][0]
    log_group = setup["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
    _assert_statements(
        synth_text_search.statements_of_role(role_id),
        [
            _allow(
                ["logs:CreateLogStream", "logs:PutLogEvents"], {"Fn::GetAtt": [log_group, "Arn"]}
            ),
            _allow(SETUP_ACTIONS, [_arn_of(ids["products"]), _arn_of(ids["legacy"])]),
        ],
    )
    role = synth_text_search.resources("AWS::IAM::Role")[role_id]
    assert "ManagedPolicyArns" not in role["Properties"]


def test_the_resource_waits_for_its_function_and_role(synth_text_search):
    """CloudFormation creates the function (after its role's policy) before any resource."""
    function_id, setup = _setup_function(synth_text_search)
    policies = [
        logical_id
        for logical_id, policy in synth_text_search.resources("AWS::IAM::Policy").items()
        if {"Ref": setup["Properties"]["Role"]["Fn::GetAtt"][0]} in policy["Properties"]["Roles"]
    ]
    assert policies and set(policies) <= set(setup.get("DependsOn", []))
    template = synth_text_search.template.to_json()["Resources"]
    for resource in synth_text_search.resources(RESOURCE_TYPE).values():
        assert resource["Properties"]["ServiceToken"]["Fn::GetAtt"][0] in template
        assert resource["Properties"]["ServiceToken"]["Fn::GetAtt"][0] == function_id


def test_without_text_search_context_there_is_no_setup(synth_default):
    assert synth_default.resources(RESOURCE_TYPE) == {}
    assert synth_default.resources("AWS::Lambda::Function", {"Handler": SETUP_HANDLER}) == {}


def test_the_context_reads_into_settings():
    settings = Settings.from_context({**SHIPPED_CONTEXT, "indexes": TEXT_SEARCH_INDEXES}.get)
    products, legacy, plain = (index.text_search for index in settings.indexes)
    assert [(k.metadata_key, k.language) for k in products.searchable_keys or ()] == [
        ("title", "en"),
        ("description", None),
    ]
    assert (products.index_mode, legacy.index_mode, legacy.searchable_keys) == (
        "ENHANCED",
        "ENHANCED",
        None,
    )
    assert not plain.applies
    empty = Settings.from_context(
        {**SHIPPED_CONTEXT, "indexes": [{"name": "abc", "dimension": 3, "searchableKeys": []}]}.get
    )
    # An empty list still applies: it removes the keys the stack configured before.
    assert empty.indexes[0].text_search.applies
    assert empty.indexes[0].text_search.index_mode is None


def _index(**fields: Any) -> list[dict[str, Any]]:
    return [{"name": "abc", "dimension": 3, **fields}]


TITLE = {"metadataKey": "title", "language": "en"}


@pytest.mark.parametrize(
    ("index", "named", "advice"),
    [
        (
            _index(searchableKeys=[TITLE, {"metadataKey": "title"}]),
            "'indexes[0]'.searchableKeys[1].metadataKey",
            "give each metadata key once",
        ),
        (
            _index(searchableKeys=[{"metadataKey": "title", "language": "english"}]),
            "'indexes[0]'.searchableKeys[0].language",
            "use one of en, fr, es, pt, it, de, nl, zh, ja, ko",
        ),
        (
            _index(searchableKeys=[{"metadataKey": "t", "language": "none"}]),
            "'indexes[0]'.searchableKeys[0].language",
            "leave language out for the standard analyzer",
        ),
        (
            _index(searchableKeys=[{"metadataKey": f"k{i}"} for i in range(11)]),
            "'indexes[0]'.searchableKeys",
            "at most 10 keys",
        ),
        (
            _index(searchableKeys=[TITLE], indexMode="CLASSIC"),
            "'indexes[0]'.indexMode",
            "set indexMode to ENHANCED",
        ),
        (_index(indexMode="enhanced"), "'indexes[0]'.indexMode", "'ENHANCED' or 'CLASSIC'"),
        (_index(searchableKeys="title"), "'indexes[0]'.searchableKeys", "must be a list"),
        (_index(searchableKeys=["title"]), "searchableKeys[0]", "must be an object"),
        (
            _index(searchableKeys=[{"metadataKey": ""}]),
            "searchableKeys[0].metadataKey",
            "1 to 63 characters",
        ),
        (
            _index(searchableKeys=[{"metadataKey": "k" * 64}]),
            "searchableKeys[0].metadataKey",
            "1 to 63 characters",
        ),
        (
            _index(searchableKeys=[{"metadataKey": "t", "status": "ACTIVE"}]),
            "searchableKeys[0]",
            "unknown keys ['status']",
        ),
        (_index(searchable_keys=[TITLE]), "'indexes[0]'", "searchableKeys, indexMode"),
    ],
    ids=[
        "a key twice", "unknown language", "language none", "eleven keys", "text on CLASSIC",
        "mode in lowercase", "not a list", "a bare string", "empty key", "key too long",
        "status", "snake_case name",
    ],
)  # fmt: skip
def test_bad_text_search_context_is_refused_naming_the_key(index, named, advice):
    context = {**SHIPPED_CONTEXT, "indexes": index}
    with pytest.raises(ConfigError) as refused:
        Settings.from_context(context.get)
    assert named in str(refused.value)
    assert advice in str(refused.value)


def test_command_line_json_is_read_as_the_same_settings():
    from_json = Settings.from_context(
        {
            **SHIPPED_CONTEXT,
            "indexes": '[{"name": "abc", "dimension": 3, "searchableKeys": '
            '[{"metadataKey": "title", "language": "fr"}], "indexMode": "ENHANCED"}]',
        }.get
    )
    (key,) = from_json.indexes[0].text_search.searchable_keys or ()
    assert (key.metadata_key, key.language) == ("title", "fr")
