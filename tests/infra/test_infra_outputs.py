"""The outputs a deployer copies: ARNs, the association command and ready-to-paste SQL."""

from __future__ import annotations

from typing import Any

HANDLER = "s3vl_bridge.handler.lambda_handler"


def _joined(value: Any, names: dict[str, str]) -> str:
    """An output's Fn::Join as text, each reference replaced by a readable placeholder."""

    def part(item: Any) -> str:
        if isinstance(item, str):
            return item
        if "Ref" in item:
            return names.get(item["Ref"], item["Ref"])
        return names.get(item["Fn::GetAtt"][0], item["Fn::GetAtt"][0])

    return "".join(part(item) for item in value["Fn::Join"][1])


def test_the_stack_outputs_every_arn_a_deployer_needs(synth_existing):
    outputs = synth_existing.template.find_outputs("*")
    bucket_id, _ = synth_existing.only("AWS::S3Vectors::VectorBucket")
    function_id, _ = synth_existing.only("AWS::Lambda::Function", {"Handler": HANDLER})
    alias_id, _ = synth_existing.only("AWS::Lambda::Alias", {"Name": "live"})
    index_arns = sorted(
        output["Value"]["Fn::GetAtt"][0] for key, output in outputs.items() if "IndexArn" in key
    )
    assert outputs["VectorBucketArn"]["Value"] == {"Fn::GetAtt": [bucket_id, "VectorBucketArn"]}
    assert outputs["FunctionArn"]["Value"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert outputs["AliasArn"]["Value"] == {"Ref": alias_id}
    assert index_arns == sorted(synth_existing.resources("AWS::S3Vectors::Index"))
    assert "AuroraRoleArn" in outputs


def test_the_sql_output_configures_the_alias_and_registers_every_index(synth_existing):
    alias_id, _ = synth_existing.only("AWS::Lambda::Alias", {"Name": "live"})
    products, _ = synth_existing.only("AWS::S3Vectors::Index", {"IndexName": "products"})
    reviews, _ = synth_existing.only("AWS::S3Vectors::Index", {"IndexName": "reviews.v2"})
    names = {
        alias_id: "ALIAS_ARN",
        "AWS::Region": "REGION",
        products: "PRODUCTS_ARN",
        reviews: "REVIEWS_ARN",
    }
    sql = _joined(
        synth_existing.template.find_outputs("ConfigureSql")["ConfigureSql"]["Value"], names
    )
    assert sql == (
        "SELECT s3vl.configure(lambda_arn => 'ALIAS_ARN', aws_region => 'REGION',"
        " timeout_seconds => 60);"
        " SELECT s3vl.register_index(index_name => 'products', index_arn => 'PRODUCTS_ARN');"
        " SELECT s3vl.register_index(index_name => 'reviews.v2', index_arn => 'REVIEWS_ARN');"
    )


def test_without_a_cluster_identifier_the_association_command_is_an_output(synth_default):
    role_id = next(
        key
        for key, role in synth_default.resources("AWS::IAM::Role").items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": "rds.amazonaws.com"}
    )
    output = synth_default.template.find_outputs("AssociateAuroraRoleCommand")
    command = _joined(output["AssociateAuroraRoleCommand"]["Value"], {role_id: "ROLE_ARN"})
    assert command == (
        "aws rds add-role-to-db-cluster --db-cluster-identifier YOUR-CLUSTER-ID"
        " --feature-name Lambda --role-arn ROLE_ARN"
    )


def test_with_a_cluster_identifier_no_association_command_is_printed(synth_existing):
    assert synth_existing.template.find_outputs("AssociateAuroraRoleCommand") == {}
