"""The function reaches only HTTPS on AWS APIs: through endpoints, or a NAT when asked."""

from __future__ import annotations

from aws_cdk.assertions import Match

HTTPS_ONLY = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}


def _function_security_group(synth) -> str:
    _, function = synth.only("AWS::Lambda::Function", {"Handler": Match.string_like_regexp("s3vl")})
    groups = function["Properties"]["VpcConfig"]["SecurityGroupIds"]
    assert len(groups) == 1
    return groups[0]["Fn::GetAtt"][0]


def _endpoint_services(synth) -> list[str]:
    """The service names of the interface endpoints, region token resolved away."""
    names = []
    for endpoint in synth.resources("AWS::EC2::VPCEndpoint").values():
        parts = endpoint["Properties"]["ServiceName"]["Fn::Join"][1]
        names.append("".join(part if isinstance(part, str) else "REGION" for part in parts))
    return sorted(names)


def test_a_new_vpc_has_only_isolated_subnets_and_no_nat_gateway(synth_default):
    template = synth_default.template
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.resource_count_is("AWS::EC2::NatGateway", 0)
    template.resource_count_is("AWS::EC2::InternetGateway", 0)
    template.resource_count_is("AWS::EC2::Subnet", 2)
    template.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.42.0.0/16"})
    template.resource_count_is("AWS::EC2::FlowLog", 1)


def test_a_new_vpc_has_private_endpoints_for_s3_vectors_logs_and_xray(synth_default):
    assert _endpoint_services(synth_default) == [
        "com.amazonaws.REGION.logs",
        "com.amazonaws.REGION.s3vectors",
        "com.amazonaws.REGION.xray",
    ]
    synth_default.template.all_resources_properties(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface", "PrivateDnsEnabled": True}
    )


def test_the_function_may_only_send_https_to_the_endpoints(synth_default):
    function_sg = _function_security_group(synth_default)
    template = synth_default.template
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        {
            "GroupDescription": Match.string_like_regexp("bridge function"),
            "SecurityGroupEgress": Match.absent(),
        },
    )
    egress = synth_default.resources("AWS::EC2::SecurityGroupEgress")
    assert len(egress) == 1
    rule = next(iter(egress.values()))["Properties"]
    endpoint_sg = rule["DestinationSecurityGroupId"]["Fn::GetAtt"][0]
    assert rule["GroupId"] == {"Fn::GetAtt": [function_sg, "GroupId"]}
    assert {key: rule[key] for key in HTTPS_ONLY} == HTTPS_ONLY
    for endpoint in synth_default.resources("AWS::EC2::VPCEndpoint").values():
        assert endpoint["Properties"]["SecurityGroupIds"] == [
            {"Fn::GetAtt": [endpoint_sg, "GroupId"]}
        ]
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            **HTTPS_ONLY,
            "GroupId": {"Fn::GetAtt": [endpoint_sg, "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": [function_sg, "GroupId"]},
        },
    )


def test_an_existing_vpc_is_imported_by_id_without_creating_one(synth_existing):
    template = synth_existing.template
    template.resource_count_is("AWS::EC2::VPC", 0)
    template.resource_count_is("AWS::EC2::Subnet", 0)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "VpcConfig": {
                "SubnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
                "SecurityGroupIds": Match.any_value(),
            }
        },
    )
    template.all_resources_properties(
        "AWS::EC2::VPCEndpoint",
        {
            "VpcId": "vpc-0a1b2c3d4e5f60718",
            "SubnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
        },
    )


def test_an_existing_vpc_gets_a_lambda_endpoint_that_only_aurora_may_reach(synth_existing):
    assert _endpoint_services(synth_existing) == [
        "com.amazonaws.REGION.lambda",
        "com.amazonaws.REGION.logs",
        "com.amazonaws.REGION.s3vectors",
        "com.amazonaws.REGION.xray",
    ]
    lambda_endpoint = next(
        endpoint["Properties"]
        for endpoint in synth_existing.resources("AWS::EC2::VPCEndpoint").values()
        if ".lambda" in "".join(map(str, endpoint["Properties"]["ServiceName"]["Fn::Join"][1]))
    )
    [group] = lambda_endpoint["SecurityGroupIds"]
    group_id = group["Fn::GetAtt"][0]
    _, security_group = next(
        (key, value)
        for key, value in synth_existing.resources("AWS::EC2::SecurityGroup").items()
        if key == group_id
    )
    assert security_group["Properties"]["SecurityGroupIngress"] == [
        {
            **HTTPS_ONLY,
            "SourceSecurityGroupId": "sg-0a1b2c3d4e5f60003",
            "Description": "HTTPS from Aurora (aws_lambda.invoke)",
        }
    ]


def test_a_vpc_with_nat_gets_no_endpoints_and_egress_only_to_the_prefix_lists(synth_nat):
    synth_nat.template.resource_count_is("AWS::EC2::VPCEndpoint", 0)
    function_sg = _function_security_group(synth_nat)
    assert synth_nat.only("AWS::EC2::SecurityGroup")[0] == function_sg
    # CloudFormation drops a group's default allow-all egress once a rule of its own exists.
    _, rule = synth_nat.only("AWS::EC2::SecurityGroupEgress")
    assert rule["Properties"] == {
        **HTTPS_ONLY,
        "GroupId": {"Fn::GetAtt": [function_sg, "GroupId"]},
        "DestinationPrefixListId": "pl-0a1b2c3d4e5f60004",
        "Description": "HTTPS to pl-0a1b2c3d4e5f60004",
    }


def test_a_vpc_with_nat_and_no_prefix_list_allows_https_out_and_nothing_else(synth_nat_open):
    synth_nat_open.template.resource_count_is("AWS::EC2::VPCEndpoint", 0)
    synth_nat_open.template.resource_count_is("AWS::EC2::SecurityGroupEgress", 0)
    _, group = synth_nat_open.only("AWS::EC2::SecurityGroup")
    assert group["Properties"]["SecurityGroupEgress"] == [
        {
            **HTTPS_ONLY,
            "CidrIp": "0.0.0.0/0",
            "Description": "HTTPS to AWS APIs through the NAT gateway",
        }
    ]
