"""The cell pipeline's roles keep what CDK Pipelines granted them, as managed policies, named actions (ACC-3, CMP-1).

The example's pipeline stack is compared with the same stack built without `PipelinePermissions.apply()` (CDK's
inline default policies as generated): for every role, every action CDK granted on a resource is still granted on
it, a wildcard action by at least one named action it covers, except the grants stacks/pipeline_permissions.py drops or
narrows by design (each named below). A probe removes a grant and the comparison reports it.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from app import add_cell_pipeline, new_app
from config import AppConfig
from stacks.pipeline_permissions import PipelinePermissions, statement_actions, statement_resources
from tests.conftest import Synthesized

PIPELINE = "pipeline-main"
Grant = tuple[str, str]  # (action, resource as JSON)


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def role_statements(template: Mapping[str, Any]) -> dict[str, list[Mapping[str, Any]]]:
    """Role logical id -> every statement of the policies attached to it (inline or managed)."""
    resources = template["Resources"]
    statements: dict[str, list[Mapping[str, Any]]] = {
        lid: [] for lid, r in resources.items() if r["Type"] == "AWS::IAM::Role"
    }
    for lid, resource in resources.items():
        if resource["Type"] not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        attached = {ref["Ref"] for ref in resource["Properties"].get("Roles", [])}
        attached |= {
            role
            for role, r in resources.items()
            if r["Type"] == "AWS::IAM::Role" and {"Ref": lid} in r["Properties"].get("ManagedPolicyArns", [])
        }
        for role in attached:
            statements[role].extend(resource["Properties"]["PolicyDocument"]["Statement"])
    return statements


def grants(statements: list[Mapping[str, Any]]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for statement in statements:
        assert statement.get("Effect", "Allow") == "Allow"
        for action in statement_actions(statement):
            for resource in statement_resources(statement):
                yield action, _text(resource), statement


# Artifact actions of CDK's grantReadWrite that no artifact reader or writer calls: CodePipeline and CodeBuild never
# delete, tag, hold or set a retention on an artifact (the bucket's default retention locks it for a week), and upload
# without listing parts (ListMultipartUploadParts is what s3:List* adds on objects).
UNUSED_ARTIFACT_ACTIONS = frozenset(
    {
        "s3:DeleteObject*",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
        "s3:PutObjectRetention",
        "s3:PutObjectLegalHold",
    }
)
ENCRYPT_ACTIONS = frozenset({"kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"})


def applies(action: str, resource: str) -> bool:
    """S3 object actions act on object ARNs (`.../*`), bucket actions on the bucket ARN (IAM service authorization
    reference for Amazon S3); CDK lists both ARNs for every action of a grant."""
    if not action.startswith("s3:"):
        return True
    on_objects = resource.endswith('/*"') or resource.endswith('"/*"]]}')
    object_action = action.startswith(("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:Abort"))
    return object_action == on_objects


def dropped_by_design(action: str, resource: str, *, writes: bool) -> bool:
    """What stacks/pipeline_permissions.py drops on purpose: CodeBuild's default log group and test-report grants
    (our projects log to BuildLogs and publish no reports), the artifact actions above, `s3:List*` on objects, and the
    encrypt half of CDK's key grant for a role that writes no artifact (a project without output encrypts nothing)."""
    if (":log-group:/aws/codebuild/" in resource and action.startswith("logs:")) or (
        ":report-group/" in resource and action.startswith("codebuild:")
    ):
        return True
    if action in UNUSED_ARTIFACT_ACTIONS or (action == "s3:List*" and applies("s3:GetObject", resource)):
        return True
    return action in ENCRYPT_ACTIONS and not writes


def narrowed(resource: str) -> bool:
    """CDK's `*` and account-wide role grants that the permissions name resource by resource instead."""
    return resource in ('"*"', '"arn:*:iam::999988887777:role/*"')


def key_by_alias(resource: str) -> str:
    """CDK named the DR store's key by its alias ARN; the copy policy names it as key/* with kms:ResourceAliases."""
    if ":alias/" in resource and resource.startswith('"arn:aws:kms:'):
        return resource.split(":alias/", maxsplit=1)[0] + ':key/*"'
    return resource


def missing_grants(generated: Mapping[str, Any], moved: Mapping[str, Any]) -> list[str]:
    """What a role had as generated and lacks after the move (besides the drops and narrowings by design)."""
    before, after = role_statements(generated), role_statements(moved)
    missing = []
    for role, statements in before.items():
        now = list(grants(after.get(role, [])))
        writes = any(action == "s3:PutObject" for action, _, _ in grants(statements))
        for action, resource, _ in grants(statements):
            if not applies(action, resource) or dropped_by_design(action, resource, writes=writes):
                continue
            on_resource = [a for a, r, _ in now if r == key_by_alias(resource)]
            if narrowed(resource):
                on_resource = [a for a, _, _ in now]
            if not any(fnmatch.fnmatchcase(granted, action) for granted in on_resource):
                missing.append(f"{role}: {action} on {resource}")
    return missing


@pytest.fixture(scope="module")
def as_generated(example_config: AppConfig, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example's pipeline stack with CDK's default policies left as CDK Pipelines generates them."""
    outdir = tmp_path_factory.mktemp("generated-permissions")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PipelinePermissions, "apply", lambda self: None)
        app = new_app(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
        add_cell_pipeline(app, example_config, "main")
        app.synth()
    return dict(json.loads((Path(outdir) / f"{PIPELINE}.template.json").read_text(encoding="utf-8")))


def test_cmp1_the_pipeline_stack_has_no_inline_policy(synthesized: Synthesized) -> None:
    for name in (PIPELINE, f"{PIPELINE}-support-us-west-2"):
        types = {r["Type"] for r in synthesized.template_json(name)["Resources"].values()}
        assert "AWS::IAM::Policy" not in types, name


def test_acc3_every_pipeline_role_keeps_what_cdk_pipelines_granted_it(
    synthesized: Synthesized, as_generated: dict[str, Any]
) -> None:
    assert "AWS::IAM::Policy" in {r["Type"] for r in as_generated["Resources"].values()}, "the baseline must differ"
    assert missing_grants(as_generated, synthesized.template_json(PIPELINE)) == []


def test_acc3_probe_a_role_that_lost_its_artifact_write_is_caught(
    synthesized: Synthesized, as_generated: dict[str, Any]
) -> None:
    moved = json.loads(json.dumps(synthesized.template_json(PIPELINE)))
    synth_role = next(lid for lid in moved["Resources"] if lid.startswith("PipelineBuildSynthCdkBuildProjectRole"))
    role = moved["Resources"][synth_role]["Properties"]
    role["ManagedPolicyArns"] = [arn for arn in role["ManagedPolicyArns"] if "ArtifactsWrite" not in arn["Ref"]]
    missing = missing_grants(as_generated, moved)
    assert any(line.startswith(f"{synth_role}: s3:PutObject ") for line in missing), missing


def test_acc3_probe_a_dropped_own_statement_is_caught(synthesized: Synthesized, as_generated: dict[str, Any]) -> None:
    moved = json.loads(json.dumps(synthesized.template_json(PIPELINE)))
    verdict = next(lid for lid, r in moved["Resources"].items() if "DangerVerdictRolePermissions" in lid)
    document = moved["Resources"][verdict]["Properties"]["PolicyDocument"]
    document["Statement"] = [
        s for s in document["Statement"] if s.get("Sid") != "ReadDeployedTemplatesThroughLookupRoles"
    ]
    assert any("sts:AssumeRole" in line for line in missing_grants(as_generated, moved))


def test_enc3_the_dr_store_key_is_named_by_its_alias_through_resource_aliases(synthesized: Synthesized) -> None:
    """IAM matches an alias ARN in `Resource` only for alias operations (AWS KMS developer guide, "Using aliases to
    control access to KMS keys"): encrypting with the DR store's key needs key/* with kms:ResourceAliases."""
    resources = synthesized.template_json(PIPELINE)["Resources"]
    kms_statements = [
        statement
        for r in resources.values()
        if r["Type"] == "AWS::IAM::ManagedPolicy"
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
        if any(a.startswith("kms:") for a in statement_actions(statement))
    ]
    for statement in kms_statements:
        assert not any(":alias/" in _text(r) for r in statement_resources(statement)), statement
    (regional,) = [s for s in kms_statements if s.get("Sid") == "EncryptRegionalArtifacts"]
    assert regional["Resource"] == "arn:aws:kms:us-west-2:999988887777:key/*"
    assert regional["Condition"] == {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": ["alias/pipeline-main/artifacts"]}
    }


def test_acc3_self_mutation_assumes_only_the_named_bootstrap_roles(synthesized: Synthesized) -> None:
    resources = synthesized.template_json(PIPELINE)["Resources"]
    (own,) = [r for lid, r in resources.items() if lid.startswith("PipelineUpdatePipelineSelfMutationRolePermissions")]
    statements = own["Properties"]["PolicyDocument"]["Statement"]
    assumed = [r for s in statements if "sts:AssumeRole" in statement_actions(s) for r in statement_resources(s)]
    assert sorted(assumed) == sorted(
        f"arn:aws:iam::999988887777:role/cdk-hnb659fds-{name}-role-999988887777-{region}"
        for region in ("us-east-1", "us-west-2")
        for name in ("deploy", "file-publishing", "image-publishing")
    )
    assert "*" not in [r for s in statements for r in statement_resources(s)]
