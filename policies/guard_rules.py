"""The AWS Control Tower proactive-control rule files, and which of them can apply to a template (CMP-1).

cdk-validator-cfnguard bundles 237 Control Tower rule files inside its jsii tarball and runs all of them over
every template. Each file selects the resources it evaluates by CloudFormation type
(`Resources.*[ Type == "AWS::S3::Bucket" ]`) and SKIPs a template without them, so a rule file whose resource
types are all absent from a template cannot find anything in it. `rules_for` keeps only the files that can fire:

- **Proven by the file's own rules** (`evaluated_types`, 237 of 237 files in cdk-validator-cfnguard 0.0.62): every
  rule the file evaluates on its own (a rule without parameters) is guarded by `when ... %selection not empty`, where
  the selection is a top-level `Resources.*[ Type == ... ]` of named types, or by `is_cfn_hook(this, TYPE)` (true
  only for a document with a top-level key named TYPE), and the file has no clause outside a rule. Such a file SKIPs
  every rule on a template holding none of those types, whatever other types it names (ct-athena-pr-2 names
  `AWS::KMS::Key` only to check a workgroup's key reference): issue 25 measured half of the cfn-guard work going
  to such rules.
- **Otherwise**, every type the file's code names (`resource_types`), and every file that names none.

The claim is proved by tests/test_control_tower_gate.py: the selected and the full rule set give identical findings
on the example app and on every probe template, and probes show a file outside the proven shape falls back.

The whole package is unpacked, not only the rules: the gate runs the plugin's own JavaScript and its bundled cfn-guard
in a Node process of its own (policies/control_tower.py), beside the jsii kernel.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from policies.jsii_tarballs import jsii_tarball, unpacked

_RULES_IN_PACKAGE = Path("rules/control-tower/cfn-guard")
_PLUGIN_IN_PACKAGE = Path("lib/index.js")
_RESOURCE_TYPE = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+")


@dataclass(frozen=True)
class RuleFile:
    path: Path
    resource_types: frozenset[str]  # every type the file's code names
    digest: str  # sha256 of the file, part of every cache key
    # The types without which every rule of the file SKIPs, when its rules prove it (`evaluated_types`), else None.
    evaluated: frozenset[str] | None = None

    def can_fire_on(self, names: set[str]) -> bool:
        """Whether the file can find anything in a template holding resources of these types (and these top-level
        keys: a hook-shaped document)."""
        if self.evaluated is not None:
            return bool(self.evaluated & names)
        return not self.resource_types or bool(self.resource_types & names)


@dataclass(frozen=True)
class GuardRuleSet:
    """Every Control Tower rule file of the installed plugin, unpacked once (with the plugin) under `root`."""

    root: Path
    plugin: Path  # the plugin's JavaScript entry point, next to its bundled cfn-guard binaries
    files: tuple[RuleFile, ...]
    plugin_digest: str  # sha256 of the whole jsii tarball: rules, bundled cfn-guard binary and result parser

    def rules_for(self, resource_types: Iterable[str], top_level_keys: Iterable[str] = ()) -> tuple[RuleFile, ...]:
        """The files that can find anything in a template with resources of these types and these top-level keys."""
        names = set(resource_types) | set(top_level_keys)
        return tuple(rule for rule in self.files if rule.can_fire_on(names))


def _code_without_comments(text: str) -> str:
    """Rule files document their scenarios in comments that also name types; only the code selects resources."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


_TYPE_CONSTANT = re.compile(r"""^let\s+(\w+)\s*=\s*["'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)["']\s*$""", re.M)
_DOCUMENT = re.compile(r"^let\s+(\w+)\s*=\s*this\s*$", re.M)
_SELECTION = re.compile(r"^let\s+(\w+)\s*=\s*Resources(?:\.\*)?\s*\[([^\[\]]*)\]\s*$", re.M)
_TYPE_TEST = re.compile(r"""^Type\s*==\s*(%\w+|["']AWS::[A-Za-z0-9]+::[A-Za-z0-9]+["'])$""")
_RULE_HEADER = re.compile(r"^\s*rule\s+(\w+)\s*(\([^)]*\))?\s*(?:when\b([^{]*))?\{", re.M)
_MESSAGE = re.compile(r"<<.*?>>", re.S)
_STRING = re.compile(r""""[^"\n]*"|'[^'\n]*'""")
_REGEX = re.compile(r"/(?:[^/\\\n]|\\.)*/")


def evaluated_types(code: str) -> frozenset[str] | None:
    """The types without which every rule of this rule file (comments removed) SKIPs, or None when its rules do not
    prove it: the shape is in the module docstring, anything else is None (the caller then keeps the file for every
    type it names)."""
    if not _only_lets_and_rules_at_top_level(code):
        return None
    constants = dict(_TYPE_CONSTANT.findall(code))
    documents = {"this", *(f"%{name}" for name in _DOCUMENT.findall(code))}
    selections: dict[str, frozenset[str]] = {}
    for name, selector in _SELECTION.findall(code):
        tests = [_TYPE_TEST.match(test.strip()) for test in re.split(r"\s+or\s+|\s+OR\s+", selector.strip())]
        if all(tests):
            named = [_named_type(test.group(1), constants) for test in tests if test]
            if None not in named:
                selections[name] = frozenset(str(type_name) for type_name in named)
    types: set[str] = set()
    for _, parameters, condition in _RULE_HEADER.findall(code):
        if parameters:
            continue  # a rule with parameters is evaluated only where another rule calls it
        guard = " ".join((condition or "").split())
        if hook := re.fullmatch(r"is_cfn_hook\((%?\w+), (%\w+)\)", guard):
            hook_type = _named_type(hook.group(2), constants)
            if hook.group(1) not in documents or hook_type is None:
                return None
            types.add(hook_type)
        elif template := re.fullmatch(r"is_cfn_template\((%?\w+)\) %(\w+) not empty", guard):
            if template.group(1) not in documents or template.group(2) not in selections:
                return None
            types |= selections[template.group(2)]
        else:
            return None
    return frozenset(types) if types else None


def _named_type(value: str, constants: dict[str, str]) -> str | None:
    return constants.get(value[1:]) if value.startswith("%") else value.strip("\"'")


def _only_lets_and_rules_at_top_level(code: str) -> bool:
    """No clause outside a rule: at depth 0 every statement is a `let` or a `rule` (a bare clause there would be
    evaluated on every template). Messages, strings and regular expressions are blanked first: their brackets are
    not the code's."""
    depth, in_header = 0, False
    for line in _REGEX.sub("//", _STRING.sub('""', _MESSAGE.sub("", code))).splitlines():
        stripped = line.strip()
        if depth == 0 and stripped and not in_header and not re.match(r"(let|rule)\s", stripped):
            return False
        if depth == 0 and re.match(r"rule\s", stripped):
            in_header = True  # a rule's `when` conditions may run over several lines, up to its `{`
        if "{" in stripped:
            in_header = False
        depth += stripped.count("{") + stripped.count("[") - stripped.count("}") - stripped.count("]")
        if depth < 0:
            return False
    return depth == 0 and not in_header


@functools.cache
def control_tower_rules(cache_dir: Path) -> GuardRuleSet:
    """Unpack the plugin package under `cache_dir` (once per plugin version) and index its rule files' types."""
    tarball = jsii_tarball("cdklabs.cdk_validator_cfnguard", "cdk-validator-cfnguard")
    package = unpacked(tarball, cache_dir, name="cdk-validator-cfnguard")
    root = package.folder / _RULES_IN_PACKAGE
    files = []
    for path in sorted(root.rglob("*.guard")):
        text = path.read_text(encoding="utf-8")
        code = _code_without_comments(text)
        files.append(
            RuleFile(
                path=path,
                resource_types=frozenset(_RESOURCE_TYPE.findall(code)),
                digest=hashlib.sha256(text.encode()).hexdigest(),
                evaluated=evaluated_types(code),
            )
        )
    return GuardRuleSet(
        root=root, plugin=package.folder / _PLUGIN_IN_PACKAGE, files=tuple(files), plugin_digest=package.digest
    )
