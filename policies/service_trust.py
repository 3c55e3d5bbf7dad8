"""What AWS documents about `aws:SourceAccount` / `aws:SourceArn` in the trust policy of each service role (ACC-3).

One row per service principal that a role of this project trusts: the trust-policy guard (policies/trust_rules.py)
reads it to judge every `AssumeRolePolicyDocument`, and the constructs build their trust conditions from it
(`trust_conditions`), so the rule and the roles cannot drift apart. A service principal without a row fails the guard:
a new role cannot skip the review.

Binding, per row:
- `REQUIRED`: the service's guide documents both keys for this role's trust policy; the role must carry
  `StringEquals aws:SourceAccount` and, where the row names a source ARN, `ArnLike aws:SourceArn`.
- `IF_PRESENT`: the guide documents no source keys for this role's trust policy (it shows a trust policy without
  them, and audits report the role stops working when they are required). The role carries
  `StringEqualsIfExists aws:SourceAccount`: a request that names another account is refused, and a request without
  the key (which is what the service may send) still works.
- `NOT_SENT`: AWS documents that the service passes its source another way (not as `aws:Source*`); nothing to require.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Binding = Literal["required", "if-present", "not-sent"]
REQUIRED: Binding = "required"
IF_PRESENT: Binding = "if-present"
NOT_SENT: Binding = "not-sent"


@dataclass(frozen=True)
class ServiceTrust:
    """What one service's guide says about source keys in the trust policy of the role it assumes."""

    binding: Binding
    doc: str  # the AWS page read for this row
    # The source ARN AWS documents, with {partition}, {region}, {account} and {name} (a resource name or `*`).
    source_arn: str | None = None
    note: str = ""


SERVICE_TRUST: dict[str, ServiceTrust] = {
    "monitoring.rds.amazonaws.com": ServiceTrust(
        REQUIRED,
        "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html"
        "#USER_Monitoring.OS.confused-deputy",
        source_arn="arn:{partition}:rds:{region}:{account}:db:{name}",
        note="Enhanced Monitoring: aws:SourceArn is the DB instance ARN, aws:SourceAccount its account.",
    ),
    "ecs-tasks.amazonaws.com": ServiceTrust(
        REQUIRED,
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html",
        source_arn="arn:{partition}:ecs:{region}:{account}:*",
        note="The task-role page's trust policy carries ArnLike aws:SourceArn arn:aws:ecs:<region>:<account>:* and "
        "aws:SourceAccount; the execution role is assumed by the same principal for the same tasks "
        "(task_execution_IAM_role.html), so it carries the same conditions.",
    ),
    "vpc-flow-logs.amazonaws.com": ServiceTrust(
        REQUIRED,
        "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html",
        source_arn="arn:{partition}:ec2:{region}:{account}:vpc-flow-log/*",
        note="The source ARN is the flow log's ARN; its id is unknown before creation, so vpc-flow-log/*.",
    ),
    "malware-protection-plan.guardduty.amazonaws.com": ServiceTrust(
        REQUIRED,
        "https://docs.aws.amazon.com/guardduty/latest/ug/malware-protection-s3-iam-policy-prerequisite.html",
        source_arn="arn:{partition}:guardduty:{region}:{account}:malware-protection-plan/*",
        note="The plan's id is unknown before creation, so malware-protection-plan/*.",
    ),
    "s3.amazonaws.com": ServiceTrust(
        IF_PRESENT,
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html",
        note="The replication role's documented trust policy has no source keys.",
    ),
    "backup.amazonaws.com": ServiceTrust(
        IF_PRESENT,
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html",
        note="AWS Backup's confused-deputy page (cross-service-confused-deputy-prevention.html) covers resource "
        "policies (vault notifications, keys), not the service role's trust policy, which it documents without "
        "source keys.",
    ),
    "cloudtrail.amazonaws.com": ServiceTrust(
        IF_PRESENT,
        "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-required-policy-for-cloudwatch-logs.html",
        note="CloudTrail documents aws:SourceArn for the bucket, topic and key policies it writes through "
        "(cross-service-confused-deputy-prevention.html), not for the CloudWatch Logs role; requiring them "
        "stopped delivery in practice (github.com/prowler-cloud/prowler/issues/4714).",
    ),
    "codebuild.amazonaws.com": ServiceTrust(
        IF_PRESENT,
        "https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html",
        note="The cell pipelines' build projects (issue 26): the service-role page documents the trust policy without "
        "source keys; the account is bound where the key is sent.",
    ),
    "codepipeline.amazonaws.com": ServiceTrust(
        IF_PRESENT,
        "https://docs.aws.amazon.com/codepipeline/latest/userguide/how-to-custom-role.html",
        note="The cell pipelines' service role (issue 26): documented without source keys; the account is bound "
        "where the key is sent.",
    ),
    "lambda.amazonaws.com": ServiceTrust(
        NOT_SENT,
        "https://docs.aws.amazon.com/lambda/latest/dg/permissions-source-function-arn.html",
        note="Lambda documents the execution role's trust policy without source keys and passes the function's "
        "identity as lambda:SourceFunctionArn in the credentials' context instead (lambda-intro-execution-role.html).",
    ),
    "ec2.amazonaws.com": ServiceTrust(
        NOT_SENT,
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html",
        note="An instance profile's role is documented without source keys; the instance's credentials carry "
        "ec2:SourceInstanceArn instead.",
    ),
}


def trust_conditions(
    service: str, *, partition: str, region: str, account: str, name: str = "*"
) -> dict[str, dict[str, Any]] | None:
    """The trust-policy conditions the row of `service` asks for (ACC-3); None where AWS documents none.

    `name` fills the documented source ARN's resource name (e.g. the DB instance identifier) where it is known.
    """
    row = SERVICE_TRUST[service]
    if row.binding == NOT_SENT:
        return None
    if row.binding == IF_PRESENT:
        return {"StringEqualsIfExists": {"aws:SourceAccount": account}}
    conditions: dict[str, dict[str, Any]] = {"StringEquals": {"aws:SourceAccount": account}}
    if row.source_arn is not None:
        arn = row.source_arn.format(partition=partition, region=region, account=account, name=name)
        conditions["ArnLike"] = {"aws:SourceArn": arn}
    return conditions
