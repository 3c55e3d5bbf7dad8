"""An environment as deployed: its config, names, and the CloudFormation stacks tagged with its name.

Commands find resources through the stacks (`resources(type)`), so names CloudFormation generated (buckets, roles,
topics) need no guessing, and a stack other helpers add later (an account baseline) is found by the same tag.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from config import EnvironmentConfig, load_config
from config.limits import ENVIRONMENT_TAG
from ops.aws import Aws
from ops.errors import OpsError
from ops.names import EnvironmentNames

# The tag every account-baseline stack carries (stacks/baseline_base.py BASELINE_TAG; ops never imports stacks/, so
# tests/test_ops_verify.py checks the two agree). The baseline is per account, not per environment.
BASELINE_TAG = "account-baseline"
LIVE_STATUSES = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE")


def select_environment(config_path: Path, name: str) -> EnvironmentConfig:
    """The named environment of the config file, or one line naming the ones it has."""
    config = load_config(config_path)
    for env in config.environments:
        if env.name == name:
            return env
    known = ", ".join(env.name for env in config.environments)
    raise OpsError(f"--env {name}: no such environment in {config_path}; it defines: {known}")


@dataclass(frozen=True)
class StackResource:
    stack: str
    region: str
    logical_id: str
    physical_id: str
    type: str


@dataclass
class Environment:
    env: EnvironmentConfig
    aws: Aws
    _resources: dict[str, list[StackResource]] = field(default_factory=dict)
    _templates: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def names(self) -> EnvironmentNames:
        return EnvironmentNames(self.env)

    @property
    def regions(self) -> tuple[str, str]:
        return self.env.region, self.env.dr_region

    @cached_property
    def account(self) -> str:
        """The caller's account; a config that names another account is refused before any other call."""
        account = self.aws.account
        if self.env.account and self.env.account != account:
            raise OpsError(
                f"the credentials are for account {account}, but {self.env.name} deploys to {self.env.account}: "
                "use a profile of that account"
            )
        return account

    @cached_property
    def stacks(self) -> dict[str, dict[str, Any]]:
        """Live stacks tagged with this environment, and the account baseline stacks (ACC-4, NET-5, CMP-1) that every
        environment of the account depends on, in the home and DR regions, by name."""
        found: dict[str, dict[str, Any]] = {}
        for region in self.regions:
            for stack in self.aws.pages("cloudformation", region, "describe_stacks", "Stacks"):
                tags = {t["Key"]: t["Value"] for t in stack.get("Tags", [])}
                ours = tags.get(ENVIRONMENT_TAG) == self.env.name or BASELINE_TAG in tags
                if ours and stack["StackStatus"] in LIVE_STATUSES:
                    found[stack["StackName"]] = {**stack, "Region": region}
        return found

    def is_baseline(self, stack: str) -> bool:
        """Whether `stack` is one of the account baseline's stacks (not the environment's own)."""
        return any(t["Key"] == BASELINE_TAG for t in self.stacks.get(stack, {}).get("Tags", []))

    def resources(self, resource_type: str) -> list[StackResource]:
        if not self._resources:
            for name, stack in self.stacks.items():
                region = stack["Region"]
                summaries = self.aws.pages(
                    "cloudformation", region, "list_stack_resources", "StackResourceSummaries", StackName=name
                )
                for r in summaries:
                    if r.get("PhysicalResourceId"):
                        self._resources.setdefault(r["ResourceType"], []).append(
                            StackResource(
                                name, region, r["LogicalResourceId"], r["PhysicalResourceId"], r["ResourceType"]
                            )
                        )
        return self._resources.get(resource_type, [])

    def template(self, stack: str) -> dict[str, Any]:
        """The stack's deployed template (what each resource promised), fetched once."""
        if stack not in self._templates:
            self._templates[stack] = self._fetch_template(stack)
        return self._templates[stack]

    def _fetch_template(self, stack: str) -> dict[str, Any]:
        region = self.stacks[stack]["Region"]
        body = self.aws.client("cloudformation", region).get_template(StackName=stack, TemplateStage="Original")
        template = body["TemplateBody"]
        if isinstance(template, str):
            template = json.loads(template)
        return dict(template)
