"""Causes shared by several acknowledgements, each written once (CMP-1).

A cause is one reason an auditor reviews once, whatever rules and resources it answers; the evidence report groups
acknowledgements by it. Causes used at one call site only stay there, next to the resource they explain.
"""

from __future__ import annotations

from policies.acknowledgements import Cause

# CDK's own deploy-time Lambdas: the AwsCustomResource provider (account settings), the provider that empties the
# VPC's default security group, and the cross-region reference writer and reader (data DR keys).
DEPLOY_TIME_PROVIDER_OUTSIDE_VPC = Cause(
    "NET-3",
    "not applicable",
    "a CDK deploy-time provider Lambda (AwsCustomResource, the default-security-group restrictor, the cross-region "
    "reference writer or reader): it runs only while CloudFormation deploys the stack, calls only public AWS API "
    "endpoints, handles no tenant data and serves no traffic; nothing in a VPC calls it, so there is no VPC traffic "
    "to firewall.",
)

# Buckets AWS services deliver logs into (S3 server access logs, load balancer access logs).
LOG_TARGET_SSE_S3 = Cause(
    "ENC-3",
    "met another way",
    "a log-delivery target: S3 server access logging and Elastic Load Balancing access logs deliver only to a bucket "
    "with SSE-S3 default encryption (S3 and ELB user guides: S3-managed keys are the only server-side encryption "
    "supported), so the logs are encrypted at rest with AES-256 under S3-managed keys; the bucket is private and "
    "TLS-only.",
)
LOG_TARGET_WITHOUT_OBJECT_LOCK = Cause(
    "ACC-4",
    "met another way",
    "a log-delivery target: S3 server access logging does not support a target with an Object Lock default "
    "retention, and S3 refuses PUTs into such a bucket without a Content-MD5 or checksum header, which ELB log "
    "delivery does not document sending; the logs are protected by versioning, a TLS-only policy that admits writes "
    "only from the log delivery services, and noncurrent versions kept 30 days.",
)
LOGS_NOT_REPLICATED = Cause(
    "BAK-5",
    "not applicable",
    "a log-delivery target: access logs are operational evidence, not tenant data; they are versioned and kept for "
    "the retention period in this region, and tenant data itself is replicated (BAK-5) by the data bucket.",
)

# IAM policies whose only '*' resources are actions that accept none.
ACTIONS_WITHOUT_RESOURCE_ARN = Cause(
    "ACC-3",
    "met another way",
    "'*' is granted only to actions whose API accepts no resource ARN (IAM service authorization reference: e.g. "
    "ec2:Describe*, ecr:GetAuthorizationToken, the SSM agent's ssmmessages/ec2messages channel calls, account "
    "settings such as EnableEbsEncryptionByDefault); each action is named, none is a wildcard action, and every "
    "action that accepts an ARN is limited to its resources (policies/iam/ holds the published policies).",
)

# Roles that carry the AWS-managed policy AWS documents for them.
AWS_DOCUMENTED_MANAGED_POLICY = Cause(
    "ACC-3",
    "met another way",
    "the role carries the AWS-managed policy AWS documents for exactly this role (the AWS Backup service role's "
    "backup/restore policies, the RDS enhanced-monitoring role, the auditor's SecurityAudit job-function policy, the "
    "support role's AWSSupportAccess that CIS 1.17 names); AWS keeps it current as services change, which a "
    "hand-written copy would miss, and the role's trust admits only that service or job role.",
)

# IAM policies whose wildcard names only what AWS generates at run time inside one resource named in full.
RUN_TIME_NAMES_IN_ONE_RESOURCE = Cause(
    "ACC-3",
    "met another way",
    "the wildcard stands only for the part of the ARN that AWS generates at run time, inside one resource named in "
    "full: the objects of one named bucket (a cell pipeline's artifacts, under keys CodePipeline generates), the key "
    "behind one alias (key ids are generated; the kms:ResourceAliases condition names the alias), the stack CDKToolkit "
    "(stack ids are generated; CDK Pipelines' self-mutation looks it up), the caller's own SSM "
    "sessions (session ids are generated; a condition limits them to the caller's aws:userid). Every action is named; "
    "no wildcard reaches another bucket, key or principal.",
)
