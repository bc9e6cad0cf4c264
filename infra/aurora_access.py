"""What Aurora needs to call the bridge: a role it can assume, limited to invoking `live`.

Given the cluster identifier, a custom resource attaches the role to the cluster for the
`Lambda` feature (rds:AddRoleToDBCluster) and detaches it on delete; without one, the
stack outputs the AWS CLI command that does the same.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import custom_resources as cr
from constructs import Construct

FEATURE_NAME = "Lambda"


class AuroraAccess(Construct):
    """The Aurora role and, when the cluster is named, its association with the cluster."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alias: lambda_.IAlias,
        cluster_identifier: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            # Only RDS acting for this account may assume it (confused-deputy guard).
            assumed_by=iam.ServicePrincipal(
                "rds.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description="Aurora PostgreSQL aws_lambda.invoke of the s3vl bridge (live alias)",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokeLiveAlias",
                actions=["lambda:InvokeFunction"],
                resources=[alias.function_arn],
            )
        )
        self.association: cr.AwsCustomResource | None = None
        if cluster_identifier:
            self.association = self._associate(cluster_identifier)

    def _associate(self, cluster_identifier: str) -> cr.AwsCustomResource:
        cluster_arn = Stack.of(self).format_arn(
            service="rds",
            resource="cluster",
            resource_name=cluster_identifier,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        parameters = {
            "DBClusterIdentifier": cluster_identifier,
            "RoleArn": self.role.role_arn,
            "FeatureName": FEATURE_NAME,
        }
        physical_id = cr.PhysicalResourceId.of(f"{cluster_identifier}/{FEATURE_NAME}")
        return cr.AwsCustomResource(
            self,
            "ClusterAssociation",
            on_create=cr.AwsSdkCall(
                service="RDS",
                action="addRoleToDBCluster",
                parameters=parameters,
                physical_resource_id=physical_id,
            ),
            # An update re-applies the association; one that already exists is fine.
            on_update=cr.AwsSdkCall(
                service="RDS",
                action="addRoleToDBCluster",
                parameters=parameters,
                physical_resource_id=physical_id,
                ignore_error_codes_matching="DBClusterRoleAlreadyExists",
            ),
            on_delete=cr.AwsSdkCall(
                service="RDS",
                action="removeRoleFromDBCluster",
                parameters=parameters,
                ignore_error_codes_matching="DBClusterRoleNotFound|DBClusterNotFoundFault",
            ),
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    iam.PolicyStatement(
                        actions=["rds:AddRoleToDBCluster", "rds:RemoveRoleFromDBCluster"],
                        resources=[cluster_arn],
                    ),
                    iam.PolicyStatement(actions=["iam:PassRole"], resources=[self.role.role_arn]),
                ]
            ),
            install_latest_aws_sdk=False,
        )


def cli_command(*, cluster_placeholder: str, role_arn: str) -> str:
    """The AWS CLI call that associates the role when no cluster identifier was given."""
    return (
        f"aws rds add-role-to-db-cluster --db-cluster-identifier {cluster_placeholder}"
        f" --feature-name {FEATURE_NAME} --role-arn {role_arn}"
    )
