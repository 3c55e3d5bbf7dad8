"""The AWS Control Tower proactive-control rule files, and which of them can apply to a template (CMP-1).

cdk-validator-cfnguard bundles 237 Control Tower rule files inside its jsii tarball and runs all of them over
every template. Each file selects the resources it evaluates by CloudFormation type
(`Resources.*[ Type == "AWS::S3::Bucket" ]`) and SKIPs a template without them, so a rule file whose resource
types are all absent from a template cannot find anything in it. `rules_for` keeps exactly the files that name at
least one type the template holds, and every file that names no type at all (kept to stay sound). The claim is
proved by tests/test_control_tower_gate.py: the selected and the full rule set give identical findings on the
example app and on every probe template.

The whole package is unpacked, not only the rules: the gate runs the plugin's own JavaScript and its bundled cfn-guard
in a Node process of its own (policies/control_tower.py), beside the jsii kernel.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from policies.jsii_tarballs import jsii_tarball, unpacked

_RULES_IN_PACKAGE = Path("rules/control-tower/cfn-guard")
_PLUGIN_IN_PACKAGE = Path("lib/index.js")
_RESOURCE_TYPE = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+")


@dataclass(frozen=True)
class RuleFile:
    path: Path
    resource_types: frozenset[str]
    digest: str  # sha256 of the file, part of every cache key


@dataclass(frozen=True)
class GuardRuleSet:
    """Every Control Tower rule file of the installed plugin, unpacked once (with the plugin) under `root`."""

    root: Path
    plugin: Path  # the plugin's JavaScript entry point, next to its bundled cfn-guard binaries
    files: tuple[RuleFile, ...]
    plugin_digest: str  # sha256 of the whole jsii tarball: rules, bundled cfn-guard binary and result parser

    def rules_for(self, resource_types: set[str]) -> tuple[RuleFile, ...]:
        return tuple(rule for rule in self.files if not rule.resource_types or rule.resource_types & resource_types)


def _code_without_comments(text: str) -> str:
    """Rule files document their scenarios in comments that also name types; only the code selects resources."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


@functools.cache
def control_tower_rules(cache_dir: Path) -> GuardRuleSet:
    """Unpack the plugin package under `cache_dir` (once per plugin version) and index its rule files' types."""
    tarball = jsii_tarball("cdklabs.cdk_validator_cfnguard", "cdk-validator-cfnguard")
    package = unpacked(tarball, cache_dir, name="cdk-validator-cfnguard")
    root = package.folder / _RULES_IN_PACKAGE
    files = []
    for path in sorted(root.rglob("*.guard")):
        text = path.read_text(encoding="utf-8")
        types = frozenset(_RESOURCE_TYPE.findall(_code_without_comments(text)))
        files.append(RuleFile(path=path, resource_types=types, digest=hashlib.sha256(text.encode()).hexdigest()))
    return GuardRuleSet(
        root=root, plugin=package.folder / _PLUGIN_IN_PACKAGE, files=tuple(files), plugin_digest=package.digest
    )
