"""Rules rejected by design for the whole app, each excluded once with its control and reason (CMP-1).

An exclusion is the one place a rule is switched off; `policies/excluded_rules.py` drops its findings where the packs
are attached, the evidence report shows each exclusion once (not on every resource it would have fired on), and
docs/acknowledgements.md explains them. A rule belongs here only when the design rejects it everywhere it could
fire; a rule that is right in general but answered on some resources is acknowledged on those resources instead.
This module is plain data: the evidence report reads it without loading the CDK.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RuleExclusion:
    """`rule_id` in acknowledgement form (`AwsSolutions-VPC3`, `CloudFormation-Validate::W3010`), found by `plugin`."""

    plugin: str
    rule_id: str
    control: str
    basis: str
    how: str

    @property
    def reason(self) -> str:
        return f"{self.control} ({self.basis}): {self.how}"


# HIPAA and PCI carry the same check; one reason serves both.
_CODEBUILD_SOURCE_URL = (
    "the pack's CodeBuildProjectSourceRepoUrl reports every CodeBuild project whose Source.Auth is not OAUTH, also "
    "a project whose source is CodePipeline (every project of this app: it receives the pipeline's artifacts and "
    "clones nothing), where no repository URL or sign-in exists; the promise behind it (AWS Config's "
    "codebuild-project-source-repo-url-check: no sign-in information in a source repository URL) is checked on every "
    "project by our own rule Project-ENC4-CodeBuildSourceAuthorized, which also requires OAuth, a CodeConnections "
    "connection or a Secrets Manager secret for GitHub, GitLab and Bitbucket sources."
)

RULE_EXCLUSIONS: tuple[RuleExclusion, ...] = (
    RuleExclusion(
        plugin="AwsSolutions",
        rule_id="AwsSolutions-VPC3",
        control="NET-1",
        basis="met another way",
        how="AwsSolutions-VPC3 discourages network ACLs in favour of security groups; NET-1 asks for a firewall per "
        "tier, so every tier has its own network ACL on purpose, in front of role security groups that chain by "
        "reference (constructs/tier_firewall.py, constructs/role_security_groups.py).",
    ),
    RuleExclusion(
        plugin="CloudFormation Validate",
        rule_id="CloudFormation-Validate::W3010",
        control="LOC-1",
        basis="met another way",
        how="cfn-lint W3010 asks not to hard-code availability zones; LOC-1 pins every zone on purpose: they come "
        "from validated config (distinct zones of the region), so synth needs no AWS lookup and the placement an "
        "auditor reads is the one deployed.",
    ),
)


for _pack in ("HIPAA.Security", "PCI.DSS.321"):
    RULE_EXCLUSIONS += (
        RuleExclusion(
            plugin=_pack,
            rule_id=f"{_pack}-CodeBuildProjectSourceRepoUrl",
            control="ENC-4",
            basis="met another way",
            how=_CODEBUILD_SOURCE_URL,
        ),
    )


def excluded_rule_ids(plugin: str) -> frozenset[str]:
    return frozenset(e.rule_id for e in RULE_EXCLUSIONS if e.plugin == plugin)
