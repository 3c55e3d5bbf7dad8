"""Which resource types each acknowledged rule inspects, as data (CMP-1).

An acknowledgement belongs on the resource whose finding it answers, and nowhere else: `acknowledge` places it
only on resources of the types listed here, and `make acks` counts any entry on another type as stray. The cdk-nag
entries are the `instanceof Cfn*` tests of cdk-nag 3.0.2's rule sources, the Control Tower entries the types their
Guard rule files select; tests/test_acknowledgement_targets.py reads both sources and proves this table against them.
A rule that is not listed can be acknowledged only on an exact L1 resource.
"""

from __future__ import annotations

# The three compliance packs that carry the same checks under their own prefix.
COMPLIANCE_PACKS = ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")
NAG_PACKS = ("AwsSolutions", *COMPLIANCE_PACKS)

_BUCKET = frozenset({"AWS::S3::Bucket"})
_FUNCTION = frozenset({"AWS::Lambda::Function"})
_INSTANCE = frozenset({"AWS::EC2::Instance"})
_IAM_IDENTITIES = frozenset({"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"})

# Keyed by the check: a cdk-nag rule without its pack prefix or finding suffix, or a plugin's namespaced rule id.
INSPECTED_TYPES: dict[str, frozenset[str]] = {
    # cdk-nag (AwsSolutions names its checks by suffix: IAM4 is IAMNoManagedPolicies, ...)
    "EC23": frozenset({"AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"}),
    "EC29": _INSTANCE,
    "IAM4": _IAM_IDENTITIES,
    "IAM5": _IAM_IDENTITIES | {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"},
    "VPC3": frozenset({"AWS::EC2::NetworkAcl", "AWS::EC2::NetworkAclEntry"}),
    "CodeBuildProjectSourceRepoUrl": frozenset({"AWS::CodeBuild::Project"}),
    "EC2InstancesInVPC": _INSTANCE,
    "ELBDeletionProtectionEnabled": frozenset({"AWS::ElasticLoadBalancingV2::LoadBalancer"}),
    "IAMNoInlinePolicy": _IAM_IDENTITIES | {"AWS::IAM::Policy"},
    "LambdaConcurrency": _FUNCTION,
    "LambdaDLQ": _FUNCTION,
    "LambdaInsideVPC": _FUNCTION,
    "RDSInBackupPlan": frozenset({"AWS::RDS::DBInstance"}),
    "S3BucketReplicationEnabled": _BUCKET,
    "S3DefaultEncryptionKMS": _BUCKET,
    "VPCNoUnrestrictedRouteToIGW": frozenset({"AWS::EC2::Route"}),
    # AWS Control Tower proactive controls (cdk-validator-cfnguard)
    "cdk-validator-cfnguard::ec2_instance_nitro_encryption_in_transit_check": _INSTANCE,
    "cdk-validator-cfnguard::elbv2_deletion_protection_enabled_check": frozenset(
        {"AWS::ElasticLoadBalancingV2::LoadBalancer"}
    ),
    "cdk-validator-cfnguard::guardduty_s3_protection_enabled_check": frozenset({"AWS::GuardDuty::Detector"}),
    "cdk-validator-cfnguard::lambda_inside_vpc_check": _FUNCTION,
    "cdk-validator-cfnguard::nacl_no_unrestricted_ssh_rdp_check": frozenset({"AWS::EC2::NetworkAclEntry"}),
    "cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check": _BUCKET,
    "cdk-validator-cfnguard::s3_bucket_logging_enabled_check": _BUCKET,
    "cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check": _BUCKET,
    # cfn-lint rules run by aws-cdk-lib's template validation
    "CloudFormation-Validate::F3002": frozenset({"AWS::EC2::FlowLog"}),
    "CloudFormation-Validate::F3003": frozenset({"AWS::EC2::FlowLog"}),
    "CloudFormation-Validate::W3010": frozenset({"AWS::EC2::Subnet", "AWS::EC2::Instance", "AWS::EC2::Volume"}),
}


def check_of(rule_id: str) -> str:
    """`PCI.DSS.321-S3BucketReplicationEnabled` -> `S3BucketReplicationEnabled`; `AwsSolutions-IAM5[Resource::*]`
    -> `IAM5`; a namespaced id (`cdk-validator-cfnguard::x`) stays as it is."""
    rule = rule_id.split("[", 1)[0]
    if "::" in rule:
        return rule
    pack, _, check = rule.partition("-")
    return check if pack in NAG_PACKS else rule


def inspected_types(rule_id: str) -> frozenset[str] | None:
    """The resource types `rule_id` inspects, or None when the table does not know the rule."""
    return INSPECTED_TYPES.get(check_of(rule_id))


def in_compliance_packs(check: str, packs: tuple[str, ...] = COMPLIANCE_PACKS) -> tuple[str, ...]:
    """One check as each compliance pack names it: one reason then serves all three variants."""
    return tuple(f"{pack}-{check}" for pack in packs)
