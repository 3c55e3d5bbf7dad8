"""A cell pipeline's permissions as managed policies, one per purpose, shared by the roles that need it (ACC-3, CMP-1).

CDK Pipelines gives each role it generates an inline default policy built from CDK's `grant*` helpers: action
wildcards on the artifact store (`s3:GetObject*`, `s3:List*`, `kms:ReEncrypt*`...), each CodeBuild project's
default `/aws/codebuild/<project>` log group and test-report groups (our projects log to the pipeline's own
encrypted log group and publish no reports), and a few `*` resources. Once the pipeline is built,
`PipelinePermissions` replaces every such policy:

- the artifact statements by shared policies with named actions: `ArtifactsRead`, `ArtifactsWrite` and, for the
  pipeline role that copies artifacts to the DR region, `ArtifactsReplicate`. The DR store's key is named there by
  `kms:ResourceAliases`: IAM matches an alias ARN in `Resource` only for alias operations, never for encrypting with
  the key (AWS KMS developer guide, "Using aliases to control access to KMS keys"), so CDK's alias-ARN grant would not
  let the pipeline encrypt a cross-region artifact;
- the log statements by `BuildLogs` (write to the pipeline's log group); the default log-group and report-group
  grants are dropped;
- every other statement by the role's own managed policy, verbatim, except three CDK grants on `*`: the asset
  publisher's `codebuild:StartBuild` (narrowed to the projects that run as that role), the self-mutation's
  `sts:AssumeRole` on every role of the account (narrowed to the CDK bootstrap roles its own tag condition names) and
  its `cloudformation:DescribeStacks` / `s3:ListBucket` (narrowed to the bootstrap stack `CDKToolkit` and its staging
  bucket in each region the pipeline's stacks deploy to: the CLI deploys through the assumed bootstrap roles, and
  with base credentials only looks the bootstrap up). These narrowings are to be confirmed by a first live
  self-mutation (docs/pipeline.md).

tests/test_pipeline_permissions.py proves that each role keeps every permission CDK generated (or the narrowing named
above) and that no inline policy remains.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from constructs import Construct
from stacks.pipeline_steps import BOOTSTRAP_QUALIFIER

READ_OBJECTS: Final = ("s3:GetObject", "s3:GetObjectVersion")
READ_BUCKET: Final = ("s3:GetBucketAcl", "s3:GetBucketLocation", "s3:GetBucketVersioning", "s3:ListBucket")
WRITE_OBJECTS: Final = ("s3:PutObject", "s3:PutObjectAcl", "s3:PutObjectVersionAcl", "s3:AbortMultipartUpload")
DECRYPT: Final = ("kms:Decrypt", "kms:DescribeKey")
ENCRYPT: Final = ("kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo")
LOG_WRITE: Final = ("logs:CreateLogStream", "logs:PutLogEvents")
# What CodeBuild's own defaults grant and our projects never use (they log to `BuildLogs`, publish no reports).
_DEFAULT_LOG_ACTIONS: Final = frozenset({"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"})
_REPORT_ACTIONS: Final = frozenset(
    {
        "codebuild:BatchPutCodeCoverages",
        "codebuild:BatchPutTestCases",
        "codebuild:CreateReport",
        "codebuild:CreateReportGroup",
        "codebuild:UpdateReport",
    }
)
_BUILD_CONTROL: Final = frozenset({"codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"})
# The roles of the CDK bootstrap that CDK Pipelines' self-mutation may assume (its own tag condition names them).
SELF_MUTATION_BOOTSTRAP_ROLES: Final = ("deploy", "file-publishing", "image-publishing")
SELF_MUTATION_LOOKUPS: Final = ("cloudformation:DescribeStacks", "s3:ListBucket")
BOOTSTRAP_STACK: Final = "CDKToolkit"


@dataclass(frozen=True)
class DrStore:
    """A cell's artifact store in another region, as the pipeline stack names it (no cross-region reference)."""

    region: str
    bucket_name: str
    key_alias: str  # alias/pipeline-<cell>/artifacts


@dataclass
class _RoleNeeds:
    reads: bool = False
    writes: bool = False
    replicates: bool = False
    logs: bool = False
    own: list[dict[str, Any]] = field(default_factory=list)


def statement_resources(statement: Mapping[str, Any]) -> list[Any]:
    resources = statement.get("Resource", [])
    return list(resources) if isinstance(resources, list) else [resources]


def statement_actions(statement: Mapping[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return list(actions) if isinstance(actions, list) else [actions]


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


class PipelinePermissions(Construct):
    """The shared policies (`read`, `write`, `replicate`, `build_logs`); `apply()` moves the generated grants."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        key: kms.IKey,
        dr_stores: Sequence[DrStore],
        build_logs: logs.ILogGroup,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self._stack = stack
        self._dr_stores = tuple(dr_stores)
        home_objects = bucket.arn_for_objects("*")
        self.read = iam.ManagedPolicy(
            self,
            "ArtifactsRead",
            description=f"{stack.stack_name}: read the cell's artifacts in {stack.region} (CMP-1)",
            statements=[
                iam.PolicyStatement(sid="ReadArtifacts", actions=list(READ_OBJECTS), resources=[home_objects]),
                iam.PolicyStatement(sid="ReadArtifactStore", actions=list(READ_BUCKET), resources=[bucket.bucket_arn]),
                iam.PolicyStatement(sid="DecryptArtifacts", actions=list(DECRYPT), resources=[key.key_arn]),
            ],
        )
        self.write = iam.ManagedPolicy(
            self,
            "ArtifactsWrite",
            description=f"{stack.stack_name}: read and write the cell's artifacts in {stack.region} (CMP-1)",
            statements=[
                iam.PolicyStatement(
                    sid="ReadWriteArtifacts",
                    actions=[*READ_OBJECTS, *WRITE_OBJECTS],
                    resources=[home_objects],
                ),
                iam.PolicyStatement(sid="ReadArtifactStore", actions=list(READ_BUCKET), resources=[bucket.bucket_arn]),
                iam.PolicyStatement(sid="EncryptArtifacts", actions=[*DECRYPT, *ENCRYPT], resources=[key.key_arn]),
            ],
        )
        self.replicate = (
            iam.ManagedPolicy(
                self,
                "ArtifactsReplicate",
                description=f"{stack.stack_name}: copy artifacts to the cell's stores in other regions (CMP-1)",
                statements=[
                    iam.PolicyStatement(
                        sid="ReadWriteRegionalArtifacts",
                        actions=[*READ_OBJECTS, *WRITE_OBJECTS],
                        resources=[f"arn:aws:s3:::{store.bucket_name}/*" for store in self._dr_stores],
                    ),
                    iam.PolicyStatement(
                        sid="ReadRegionalArtifactStores",
                        actions=list(READ_BUCKET),
                        resources=[f"arn:aws:s3:::{store.bucket_name}" for store in self._dr_stores],
                    ),
                    # Key ids are generated; the alias (created with the key in the support stack) names the key.
                    iam.PolicyStatement(
                        sid="EncryptRegionalArtifacts",
                        actions=[*DECRYPT, *ENCRYPT],
                        resources=[f"arn:aws:kms:{store.region}:{stack.account}:key/*" for store in self._dr_stores],
                        conditions={
                            "ForAnyValue:StringEquals": {
                                "kms:ResourceAliases": sorted({store.key_alias for store in self._dr_stores})
                            }
                        },
                    ),
                ],
            )
            if self._dr_stores
            else None
        )
        self.build_logs = iam.ManagedPolicy(
            self,
            "BuildLogs",
            description=f"{stack.stack_name}: write build logs to the pipeline's log group (ACC-4)",
            statements=[iam.PolicyStatement(actions=list(LOG_WRITE), resources=[build_logs.log_group_arn])],
        )
        self._artifacts = {_key(stack.resolve(value)) for value in (bucket.bucket_arn, home_objects, key.key_arn)}
        self._regional = {
            _key(value)
            for store in self._dr_stores
            for value in (
                f"arn:aws:s3:::{store.bucket_name}",
                f"arn:aws:s3:::{store.bucket_name}/*",
                f"arn:aws:kms:{store.region}:{stack.account}:{store.key_alias}",
            )
        }
        self._log_group = _key(stack.resolve(build_logs.log_group_arn))
        self._attached: dict[str, list[iam.ManagedPolicy]] = {}

    def attached_to(self, role: iam.IRole) -> list[cdk.CfnResource]:
        """The policy resources `apply()` attached to `role` (a resource that needs them can depend on them)."""
        resources = [policy.node.default_child for policy in self._attached.get(role.node.path, [])]
        return [resource for resource in resources if isinstance(resource, cdk.CfnResource)]

    def apply(self) -> None:
        """Replace the default policy of every role in the stack."""
        for role in [c for c in self._stack.node.find_all() if isinstance(c, iam.Role)]:
            policy = role.node.try_find_child("DefaultPolicy")
            if not isinstance(policy, iam.Policy):
                continue
            document = self._stack.resolve(policy.document)
            needs = self._needs(role, document.get("Statement", []))
            role.node.try_remove_child("DefaultPolicy")
            attached = self._attached.setdefault(role.node.path, [])
            for shared, wanted in (
                (self.write, needs.writes),
                (self.read, needs.reads and not needs.writes),
                (self.replicate, needs.replicates),
                (self.build_logs, needs.logs),
            ):
                if wanted:
                    assert shared is not None
                    role.add_managed_policy(shared)
                    attached.append(shared)
            if needs.own:
                own = iam.ManagedPolicy(
                    role,
                    "Permissions",
                    description=f"{role.node.path.split('/', 1)[1]}: this role's own permissions (CMP-1)",
                    statements=[rebuilt(statement) for statement in needs.own],
                    roles=[role],
                )
                attached.append(own)

    def _needs(self, role: iam.Role, statements: Iterable[Mapping[str, Any]]) -> _RoleNeeds:
        needs = _RoleNeeds()
        for statement in statements:
            resources = [_key(resource) for resource in statement_resources(statement)]
            actions = set(statement_actions(statement))
            if resources and all(r in self._artifacts or r in self._regional for r in resources):
                # A role writes artifacts when CDK granted it s3:Put*; its key grant follows (read-only roles get
                # Decrypt only, whatever encrypt actions CDK's key grant added).
                needs.replicates |= any(r in self._regional for r in resources)
                if any(r in self._artifacts for r in resources):
                    needs.reads = True
                    needs.writes |= any(a.startswith("s3:Put") for a in actions)
                continue
            if resources == [self._log_group]:
                needs.logs = True
                continue
            if _is_default_logging(statement, actions):
                continue
            needs.own.extend(self._narrowed(role, dict(statement), actions))
        return needs

    def _narrowed(self, role: iam.Role, statement: dict[str, Any], actions: set[str]) -> list[dict[str, Any]]:
        """The asset publisher's builds, the self-mutation's bootstrap roles and look-ups, by name instead of `*`."""
        resources = statement_resources(statement)
        account = self._stack.account
        if actions <= _BUILD_CONTROL and resources == ["*"]:
            projects = self._projects_run_by(role)
            return [{**statement, "Resource": projects}] if projects else [statement]
        if actions == {"sts:AssumeRole"} and resources == [f"arn:*:iam::{account}:role/*"]:
            roles = [
                f"arn:aws:iam::{account}:role/cdk-{BOOTSTRAP_QUALIFIER}-{name}-role-{account}-{region}"
                for region in self.regions
                for name in SELF_MUTATION_BOOTSTRAP_ROLES
            ]
            return [{**statement, "Resource": roles}]
        if actions <= set(SELF_MUTATION_LOOKUPS) and resources == ["*"]:
            # The CLI's checks of the bootstrap stack and its staging bucket, in each region the stack deploys to.
            looked_up = {
                "cloudformation:DescribeStacks": [
                    f"arn:aws:cloudformation:{region}:{account}:stack/{BOOTSTRAP_STACK}/*" for region in self.regions
                ],
                "s3:ListBucket": [
                    f"arn:aws:s3:::cdk-{BOOTSTRAP_QUALIFIER}-assets-{account}-{region}" for region in self.regions
                ],
            }
            return [{"Effect": "Allow", "Action": action, "Resource": looked_up[action]} for action in sorted(actions)]
        return [statement]

    @property
    def regions(self) -> list[str]:
        """Where the pipeline's own stacks deploy: its region and its artifact stores' (CDK's self-mutation)."""
        return [self._stack.region, *(store.region for store in self._dr_stores)]

    def _projects_run_by(self, role: iam.Role) -> list[Any]:
        role_arn = _key(self._stack.resolve(role.role_arn))
        return [
            self._stack.resolve(project.attr_arn)
            for project in self._stack.node.find_all()
            if isinstance(project, codebuild.CfnProject) and _key(self._stack.resolve(project.service_role)) == role_arn
        ]


def rebuilt(statement: Mapping[str, Any]) -> iam.PolicyStatement:
    """A resolved Allow statement as a PolicyStatement again (its intrinsics become tokens that resolve to them)."""
    unsupported = {"NotAction", "NotResource", "Principal"} & set(statement)
    if statement.get("Effect", "Allow") != "Allow" or unsupported:
        raise ValueError(f"pipeline permissions: cannot move a statement with {sorted(unsupported) or 'Deny'}")
    return iam.PolicyStatement(
        sid=statement.get("Sid"),
        actions=statement_actions(statement),
        resources=[r if isinstance(r, str) else cdk.Token.as_string(r) for r in statement_resources(statement)],
        conditions=statement.get("Condition"),
    )


def _is_default_logging(statement: Mapping[str, Any], actions: set[str]) -> bool:
    """CodeBuild's default grants: its `/aws/codebuild/<project>` log group and its test-report groups."""
    text = _key(statement.get("Resource"))
    if actions <= _DEFAULT_LOG_ACTIONS:
        return ":log-group:/aws/codebuild/" in text
    return actions <= _REPORT_ACTIONS and ":report-group/" in text
