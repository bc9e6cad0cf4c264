"""Where the bridge function runs and the only traffic it may send: HTTPS to AWS APIs.

Two modes. `new`: a VPC with isolated subnets only and interface endpoints for S3 Vectors,
CloudWatch Logs and X-Ray (and Bedrock Runtime when the function embeds), so no NAT gateway
is billed. `existing`: the Aurora cluster's VPC,
imported from ids without any lookup (synth makes no AWS call); the same endpoints are
created there unless the subnets already reach AWS through a NAT gateway.
"""

from __future__ import annotations

from aws_cdk import Annotations, Fn
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from infra.config import NetworkSettings

HTTPS = ec2.Port.tcp(443)


class Network(Construct):
    """The VPC, subnets and security group the function is placed in."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: NetworkSettings,
        bedrock_runtime: bool = False,
    ) -> None:
        """`bedrock_runtime`: the function calls Bedrock Runtime (embedding models), so its
        endpoint is added with the others."""
        super().__init__(scope, construct_id)
        self.bedrock_runtime = bedrock_runtime
        self.aurora_security_group: ec2.ISecurityGroup | None = None
        if settings.mode == "new":
            self.vpc: ec2.IVpc = ec2.Vpc(
                self,
                "Vpc",
                ip_addresses=ec2.IpAddresses.cidr(settings.vpc_cidr),
                max_azs=2,
                nat_gateways=0,
                subnet_configuration=[
                    ec2.SubnetConfiguration(
                        name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                    )
                ],
            )
            self.vpc.add_flow_log("FlowLog")
            self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        else:
            # Imported by id only: the AZ list is a token (Fn::GetAZs) because nothing here
            # selects subnets by zone; the subnets are named explicitly below.
            self.vpc = ec2.Vpc.from_vpc_attributes(
                self, "Vpc", vpc_id=settings.vpc_id, availability_zones=Fn.get_azs()
            )
            Annotations.of(self.vpc).acknowledge_warning(
                "@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones",
                "Subnets are named by id; nothing selects subnets of this VPC by zone.",
            )
            subnets = [
                ec2.Subnet.from_subnet_id(self, f"Subnet{position}", subnet_id)
                for position, subnet_id in enumerate(settings.subnet_ids)
            ]
            for subnet in subnets:
                Annotations.of(subnet).acknowledge_warning(
                    "@aws-cdk/aws-ec2:noSubnetRouteTableId",
                    "Nothing here adds routes: the function only places its ENIs in the subnet.",
                )
            self.subnets = ec2.SubnetSelection(subnets=subnets)
            self.aurora_security_group = ec2.SecurityGroup.from_security_group_id(
                self, "AuroraSecurityGroup", settings.aurora_security_group_id, mutable=False
            )

        self.function_security_group = ec2.SecurityGroup(
            self,
            "FunctionSecurityGroup",
            vpc=self.vpc,
            description="s3vl bridge function: HTTPS to AWS APIs only",
            allow_all_outbound=False,
        )
        if settings.mode == "existing" and settings.nat_egress:
            self._allow_https_through_nat(settings.egress_prefix_list_ids)
        else:
            self._add_endpoints()
            if self.aurora_security_group is not None and settings.aurora_lambda_endpoint:
                self._add_lambda_endpoint_for_aurora(self.aurora_security_group)

    def _add_endpoints(self) -> None:
        """Interface endpoints reachable only from the function, on 443 both ways."""
        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="s3vl interface endpoints: HTTPS from the bridge function",
            allow_all_outbound=False,
        )
        services = [
            ("S3Vectors", ec2.InterfaceVpcEndpointAwsService.S3_VECTORS),
            ("Logs", ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS),
            # Active tracing: the X-Ray daemon sends segments out through the function's ENI.
            ("XRay", ec2.InterfaceVpcEndpointAwsService.XRAY),
        ]
        if self.bedrock_runtime:
            services.append(("BedrockRuntime", ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME))
        for name, service in services:
            self.vpc.add_interface_endpoint(
                f"{name}Endpoint",
                service=service,
                subnets=self.subnets,
                security_groups=[self.endpoint_security_group],
                private_dns_enabled=True,
                open=False,
            )
        self.function_security_group.connections.allow_to(
            self.endpoint_security_group,
            HTTPS,
            "HTTPS to the S3 Vectors, Logs, X-Ray and Bedrock Runtime endpoints"
            if self.bedrock_runtime
            else "HTTPS to the S3 Vectors, Logs and X-Ray endpoints",
        )

    def _add_lambda_endpoint_for_aurora(self, aurora: ec2.ISecurityGroup) -> None:
        """Aurora's aws_lambda.invoke reaches Lambda privately: a VPC without NAT needs this."""
        security_group = ec2.SecurityGroup(
            self,
            "LambdaEndpointSecurityGroup",
            vpc=self.vpc,
            description="s3vl Lambda endpoint: HTTPS from the Aurora cluster",
            allow_all_outbound=False,
        )
        security_group.add_ingress_rule(
            ec2.Peer.security_group_id(aurora.security_group_id),
            HTTPS,
            "HTTPS from Aurora (aws_lambda.invoke)",
        )
        self.vpc.add_interface_endpoint(
            "LambdaEndpoint",
            service=ec2.InterfaceVpcEndpointAwsService.LAMBDA_,
            subnets=self.subnets,
            security_groups=[security_group],
            private_dns_enabled=True,
            open=False,
        )

    def _allow_https_through_nat(self, prefix_list_ids: tuple[str, ...]) -> None:
        """HTTPS out through the VPC's NAT: to the given prefix lists, else to any address."""
        if not prefix_list_ids:
            self.function_security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), HTTPS, "HTTPS to AWS APIs through the NAT gateway"
            )
            return
        for prefix_list_id in prefix_list_ids:
            self.function_security_group.add_egress_rule(
                ec2.Peer.prefix_list(prefix_list_id), HTTPS, f"HTTPS to {prefix_list_id}"
            )
