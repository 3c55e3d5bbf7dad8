"""The SSH bastion: one hardened Amazon Linux 2023 host with a personal account per named operator.

ACC-2: SSH keys only. Each operator's public key is imported as an EC2 key pair named
    `<env>-<operator>-<digest of the key material>` (an inventory of keys in EC2) and becomes the only line of that
    operator's `authorized_keys` (the script is in constructs/bastion_user_data.py). Key pairs are create-only in
    CloudFormation (name, material, tags) and a custom-named resource cannot be replaced, so the name changes with
    the material: rotating a key is a config change that deploys (old pair deleted, new one imported). Key pairs
    carry no tags, so a change of an environment tag (owner, classification) never forces their replacement.
    The host has no launch key pair (ec2-user gets no key). User data changes replace the host, so removing an
    operator from config and deploying revokes the key: the new host never had it, and the Elastic IP moves to it.
ACC-3: the host sits in the public tier behind the bastion security group (port 22 from admin CIDRs only);
    sshd admits only the listed operators (`AllowUsers`).
ACC-4: unique accounts per person; sshd logs at VERBOSE (key fingerprint per login); /var/log/secure and
    the audit log are shipped by the CloudWatch agent to KMS-encrypted log groups with fixed names, kept on
    delete and update but not after a failed first create (`RetainExceptOnCreate`), so a retry can create them.
ACC-5: see constructs/bastion_user_data.py: idle shells end (TMOUT); sshd ends unresponsive clients.
ENC-3: the gp3 root volume is encrypted with a customer-managed key. IMDSv2 is required.
BAK-1: the instance carries the backup tag, so the environment's backup plan takes AMI backups of it. An AMI
    taken before a revocation holds the revoked key: the bastion is restored by redeploying from config.

Termination protection: CloudFormation cannot terminate a replaced instance that has `DisableApiTermination`;
the update would complete, the Elastic IP would move, and the old host would keep running with the revoked key
(unreachable, but present). The environment's stacks therefore build this host with `termination_protection=False`
so revocation removes the old host; production stacks keep stack-level termination protection. With the prop left
at True, terminate the old host by hand after each replacing deploy (also after a newer AL2023 image is picked up).
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs

from config.limits import BACKUP_TAG_KEY, BACKUP_TAG_VALUE
from constructs import Construct
from constructs.bastion_user_data import OperatorKey, SshdPolicy, render_user_data
from constructs.named_log_group import named_log_group
from policies.acknowledgements import acknowledge, acknowledge_cause
from policies.causes import ACTIONS_WITHOUT_RESOURCE_ARN
from policies.create_only_names import content_digest
from policies.rule_targets import in_compliance_packs


def key_pair_name(environment_name: str, operator: OperatorKey) -> str:
    """ACC-2: `<env>-<operator>-<digest>`; the digest covers every create-only property the key pair sets."""
    return f"{environment_name}-{operator.name}-{content_digest({'PublicKeyMaterial': operator.ssh_public_key})}"


class BastionHost(Construct):
    """Exposes `instance`, `role`, `instance_policy`, `elastic_ip`, `key_pairs[name]`, `auth_log_group`,
    `audit_log_group` and `rendered_user_data` (the exact first-boot script)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment_name: str,
        vpc: ec2.IVpc,
        subnet: ec2.ISubnet,
        security_group: ec2.ISecurityGroup,
        operators: Sequence[OperatorKey],
        sshd: SshdPolicy,
        volume_key: kms.IKey,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        instance_type: str = "t3.micro",
        root_volume_gib: int = 16,
        termination_protection: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        self.auth_log_group = named_log_group(
            self, "AuthLog", name=f"/{environment_name}/bastion/secure", key=log_key, retention=log_retention
        )
        self.audit_log_group = named_log_group(
            self, "AuditLog", name=f"/{environment_name}/bastion/audit", key=log_key, retention=log_retention
        )

        # ACC-2: every operator key is inventoried in EC2, named after its owner and its content (see key_pair_name).
        self.key_pairs: dict[str, ec2.CfnKeyPair] = {}
        for operator in operators:
            key_pair = ec2.CfnKeyPair(
                self,
                f"KeyPair-{operator.name}",
                key_name=key_pair_name(environment_name, operator),
                public_key_material=operator.ssh_public_key,
            )
            # Tags are create-only on key pairs: the environment's tags (owner, classification, ...) would turn a
            # tag change into a replacement. Dropped from the template whatever aspect adds them.
            key_pair.add_property_deletion_override("Tags")
            self.key_pairs[operator.name] = key_pair

        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description=f"{environment_name} bastion: SSM agent and CloudWatch agent only (ACC-3)",
        )
        self.instance_policy = self._instance_policy()
        self.role.add_managed_policy(self.instance_policy)

        self.rendered_user_data = render_user_data(
            operators=operators,
            sshd=sshd,
            auth_log_group_name=f"/{environment_name}/bastion/secure",
            audit_log_group_name=f"/{environment_name}/bastion/audit",
        )
        architecture = ec2.InstanceType(instance_type).architecture
        cpu = (
            ec2.AmazonLinuxCpuType.ARM_64
            if architecture == ec2.InstanceArchitecture.ARM_64
            else ec2.AmazonLinuxCpuType.X86_64
        )
        self.instance = ec2.Instance(
            self,
            "Instance",
            vpc=vpc,
            vpc_subnets=ec2.SubnetSelection(subnets=[subnet]),
            security_group=security_group,
            instance_type=ec2.InstanceType(instance_type),
            # Resolved from the public SSM parameter at deploy time: no lookup at synth.
            machine_image=ec2.MachineImage.latest_amazon_linux2023(cpu_type=cpu),
            role=self.role.without_policy_updates(),
            user_data=ec2.UserData.custom(self.rendered_user_data),
            user_data_causes_replacement=True,
            http_tokens=ec2.HttpTokens.REQUIRED,
            http_endpoint=True,
            http_put_response_hop_limit=1,
            detailed_monitoring=True,
            disable_api_termination=termination_protection,
            ebs_optimized=True,
            # The launch never assigns a public IP (CT.EC2.PR.8); the Elastic IP below is the one public address.
            associate_public_ip_address=False,
            propagate_tags_to_volume_on_creation=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        root_volume_gib,
                        encrypted=True,
                        kms_key=volume_key,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        )
        # The subnet fixes the zone; a literal zone in the template only duplicates it (cfn-lint W3010).
        self.instance.instance.add_property_deletion_override("AvailabilityZone")
        cdk.Tags.of(self.instance).add(BACKUP_TAG_KEY, BACKUP_TAG_VALUE)
        if not termination_protection:
            acknowledge(
                self.instance.instance,
                "AwsSolutions-EC29",
                control="ACC-2",
                basis="met another way",
                how="the bastion is disposable and holds no data: revoking a key replaces it, and CloudFormation can "
                "terminate the old host only without API termination protection; production stacks keep stack "
                "termination protection, and the host is rebuilt from config and AMI backups (BAK-1).",
            )
        acknowledge(
            self.instance.instance,
            "cdk-validator-cfnguard::ec2_instance_nitro_encryption_in_transit_check",
            control="ENC-1",
            basis="met another way",
            how="the bastion's traffic is encrypted by the protocols it carries rather than by the Nitro network: "
            "operators reach it over SSH, it reaches the database only over TLS (rds.force_ssl) and AWS APIs only "
            "over HTTPS; a burstable single bastion need not be a network-encrypting instance family.",
        )
        acknowledge(
            self.instance.instance,
            in_compliance_packs("EC2InstancesInVPC"),
            control="NET-1",
            basis="met another way",
            how="the instance is in the environment VPC: its primary network interface (NetworkInterfaces[0]) "
            "names the first public-tier subnet; the rule reads only the root SubnetId, which must stay unset so "
            "the launch can declare AssociatePublicIpAddress false.",
        )
        cdk.Tags.of(self.instance).add("Name", f"{environment_name}-bastion")

        # The only public address in the environment: subnets do not auto-assign one. The association
        # follows the instance when a config change replaces it.
        self.elastic_ip = ec2.CfnEIP(
            self, "ElasticIp", domain="vpc", tags=[cdk.CfnTag(key="Name", value=f"{environment_name}-bastion")]
        )
        self.elastic_ip_association = ec2.CfnEIPAssociation(
            self,
            "ElasticIpAssociation",
            allocation_id=self.elastic_ip.attr_allocation_id,
            instance_id=self.instance.instance_id,
        )

    def _instance_policy(self) -> iam.ManagedPolicy:
        """What the SSM agent (Session Manager, Run Command) and the CloudWatch agent need, and no more.

        Written instead of AmazonSSMManagedInstanceCore, which also lets the host read every SSM parameter
        in the account, and CloudWatchAgentServerPolicy, which lets it write to every log group.
        """
        policy = iam.ManagedPolicy(
            self,
            "InstancePolicy",
            description="Bastion host: SSM agent channels and shipping its own two log groups (ACC-3, ACC-4)",
            statements=[
                iam.PolicyStatement(
                    sid="SsmAgent",
                    actions=[
                        "ssm:UpdateInstanceInformation",
                        "ssm:ListInstanceAssociations",
                        "ssm:DescribeAssociation",
                        "ssm:UpdateInstanceAssociationStatus",
                        "ssmmessages:CreateControlChannel",
                        "ssmmessages:CreateDataChannel",
                        "ssmmessages:OpenControlChannel",
                        "ssmmessages:OpenDataChannel",
                        "ec2messages:AcknowledgeMessage",
                        "ec2messages:DeleteMessage",
                        "ec2messages:FailMessage",
                        "ec2messages:GetEndpoint",
                        "ec2messages:GetMessages",
                        "ec2messages:SendReply",
                    ],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="ShipOwnLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    # The LogGroup Arn attribute ends in ":*", which covers its log streams.
                    resources=[self.auth_log_group.log_group_arn, self.audit_log_group.log_group_arn],
                ),
            ],
        )
        # The SSM agent's channel actions (ssmmessages:*Channel, ec2messages:*, ssm:UpdateInstanceInformation and
        # association status) accept no resource ARN; no parameter or data reads, log writes to this host's groups.
        acknowledge_cause(policy, "AwsSolutions-IAM5[Resource::*]", ACTIONS_WITHOUT_RESOURCE_ARN)
        return policy
