"""The AWS Control Tower proactive controls (cfn-guard rules), run offline at every synth (CMP-1).

`StrictCfnGuard` runs cdk-validator-cfnguard's own plugin (its bundled cfn-guard binary and its result parser, so
findings are exactly the plugin's), with three changes that keep the gate as strict and make it cheap:

- **Strict.** Each violation is marked `severity="error"`. aws-cdk-lib 2.275 recomputes a plugin's success after
  acknowledgements as "no violation has severity error"; cfn-guard's violations carry none, so one acknowledged
  Control Tower finding anywhere let every other one pass. tests/test_policy_gates.py holds the regression probe.
- **Only the rules that can fire.** Per template, only the rule files naming a resource type the template holds
  (`policies/guard_rules.py`); the plugin would run all 237 over every template.
- **Each distinct template checked once.** Resource `Metadata` (construct paths, acknowledgement records) is
  dropped before the check: no Control Tower rule reads it (tests/test_control_tower_gate.py proves the findings
  are identical). The result is cached by content (`policies/gate_cache.py`): the checked template bytes, every
  selected rule file and the plugin tarball (binary, parser, version) form the key.
- **One cfn-guard run per rule selection.** The templates not checked before are grouped by their selected rule
  files and each group goes to the plugin in one run, as the plugin itself runs (one `--data` per template): ten
  tenants' network stacks select the same files and cost one cfn-guard process, not ten. The runs of one start share
  two Node processes.
- **On the second core.** The plugin's own JavaScript (unpacked with its rules, `policies/guard_rules.py`) runs in a
  Node process of its own rather than in the jsii kernel, so `start` can launch the runs while the kernel is busy
  with aws-cdk-lib's template validation (`policies/packs.py` calls it first); `validate` collects them. The reports
  are the plugin's, field for field (the equivalence tests run the shipped plugin through jsii as the reference).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

from policies.cache_folder import cache_dir, content_key
from policies.gate_cache import GateCache, as_violation, json_violation_records
from policies.guard_rules import GuardRuleSet, RuleFile, control_tower_rules
from policies.worker_environment import node_executable, worker_environment

GUARD_OUTPUT_BUFFER_BYTES = 64 * 1024 * 1024  # the default 1 MB is too small for a large template
# Bump when what is stored in a cache entry, or how it is derived, changes.
CACHE_FORMAT = "control-tower-2"
# The plugin's own entry point, run by Node outside the jsii kernel: the job (plugin, rules, templates) on stdin, the
# plugin's report as JSON on stdout. Its errors (cfn-guard crashing, unparsable output) exit non-zero.
# Several runs (each its own rules over its templates: one cfn-guard process) share one Node process, which saves
# the Node start and the plugin's loading per run (about 0.04 s of CPU each, issue 25).
_RUN_PLUGIN_JS = """
const job = JSON.parse(require("fs").readFileSync(0, "utf8"));
const { CfnGuardValidator } = require(job.plugin);
const reports = job.runs.map((run) =>
  new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: run.rules, maxBuffer: job.maxBuffer })
    .validate({ templatePaths: run.templates }));
process.stdout.write(JSON.stringify(reports));
"""


@jsii.implements(cdk.IPolicyValidationContextBeta1)
class _TemplatesOnly:
    """The part of a validation context cdk-validator-cfnguard reads: the template files."""

    def __init__(self, template_paths: list[str]) -> None:
        self._template_paths = template_paths

    @property
    def template_paths(self) -> list[str]:
        return self._template_paths


def checked_content(template: dict[str, Any]) -> dict[str, Any]:
    """The template as the rules see it: every resource without its `Metadata`."""
    resources = {
        logical_id: {key: value for key, value in resource.items() if key != "Metadata"}
        for logical_id, resource in (template.get("Resources") or {}).items()
    }
    return {**template, "Resources": resources}


@jsii.implements(cdk.IPolicyValidationPlugin)
class StrictCfnGuard:
    """The Control Tower gate. `select_rules=False` runs every rule file (the equivalence test's reference)."""

    def __init__(self, *, select_rules: bool = True, cache: GateCache | None = None) -> None:
        self._rules: GuardRuleSet = control_tower_rules(cache_dir())
        self._select_rules = select_rules
        self._cache = cache or GateCache("control-tower")
        self._started: dict[str, Future[dict[str, list[dict[str, Any]]]]] = {}
        self._pool: ThreadPoolExecutor | None = None

    @property
    def name(self) -> str:
        return (
            "cdk-validator-cfnguard"  # acknowledgement ids are namespaced by this name: cdk-validator-cfnguard::<rule>
        )

    @property
    def rule_ids(self) -> list[str]:
        return [rule.path.stem.replace("ct-", "").replace("-", "") for rule in self._rules.files]

    @property
    def version(self) -> str:
        return self._rules.plugin_digest[:12]

    @property
    def cache(self) -> GateCache:
        return self._cache

    def start(self, template_paths: Sequence[str]) -> None:
        """Launch the cfn-guard runs these templates need (none when all are cached or already started) on background
        threads; the Node processes they start use the second core while the caller keeps the jsii kernel busy.

        Called with the cell pipeline stages' templates while the standalone stacks are still being built (app.py),
        and with the app's templates once they are written: a run is keyed by the checked content, so a standalone
        template whose twin was checked early takes that run's findings, and any other template is checked itself."""
        checks = [self._check(Path(path)) for path in template_paths]
        fresh = [check for check in checks if check.key not in self._started and self._cache.get(check.key) is None]
        batches = _batches(fresh)
        if not batches:
            return
        if self._pool is None:  # two at a time: one beside the validation engine, both cores once it is done
            self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cfn-guard")
        for group in _split(list(batches.items()), parts=2):
            future = self._pool.submit(_run_plugin, self._rules.plugin, group)
            self._started.update(dict.fromkeys((check.key for _, batch in group for check in batch), future))

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        checks = [self._check(Path(template_path)) for template_path in context.template_paths]
        found = {check.key: cached for check in checks if (cached := self._cache.get(check.key)) is not None}
        unstarted = [check for check in checks if check.key not in found and check.key not in self._started]
        if unstarted:
            done = _finished(_run_plugin(self._rules.plugin, list(_batches(unstarted).items())))
            self._started.update(dict.fromkeys((check.key for check in unstarted), done))
        for check in checks:
            if check.key not in found:
                found[check.key] = self._started.pop(check.key).result()[check.key]
                self._cache.put(check.key, found[check.key])
        violations = [
            as_violation(finding, str(check.template_path), severity="error")
            for check in checks
            for finding in found[check.key]
        ]
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)

    def _check(self, template_path: Path) -> _Check:
        """What the gate checks for one template: its content without Metadata, the rules that can fire, the key."""
        content = checked_content(json.loads(template_path.read_text(encoding="utf-8")))
        data = json.dumps(content, separators=(",", ":")).encode()
        types = {str(resource.get("Type")) for resource in content["Resources"].values()}
        rules = self._rules.rules_for(types, content) if self._select_rules else self._rules.files
        key = content_key(
            CACHE_FORMAT,
            self._rules.plugin_digest,
            data,
            *(f"{rule.path.relative_to(self._rules.root)}:{rule.digest}" for rule in rules),
        )
        return _Check(template_path, data, rules, key)


@dataclass(frozen=True)
class _Check:
    template_path: Path
    data: bytes
    rules: tuple[RuleFile, ...]
    key: str


def _batches(checks: list[_Check]) -> dict[tuple[RuleFile, ...], list[_Check]]:
    """One plugin run per set of selected rules, over every template that needs it (each distinct one once): the
    plugin's own mode (one cfn-guard process, a --data per template), so ten tenants' network stacks cost one."""
    batches: dict[tuple[RuleFile, ...], dict[str, _Check]] = {}
    for check in checks:
        batches.setdefault(check.rules, {})[check.key] = check
    return {rules: list(batch.values()) for rules, batch in batches.items()}


def _finished(result: dict[str, list[dict[str, Any]]]) -> Future[dict[str, list[dict[str, Any]]]]:
    """A run done on the caller's thread, held like one started in the background."""
    future: Future[dict[str, list[dict[str, Any]]]] = Future()
    future.set_result(result)
    return future


Run = tuple[tuple[RuleFile, ...], list[_Check]]  # one plugin run: these rules over these templates


def _split(runs: list[Run], *, parts: int) -> list[list[Run]]:
    """The runs in at most `parts` groups of about equal work (rules x checked bytes), one Node process each."""
    groups: list[list[Run]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for run in sorted(runs, key=_work, reverse=True):
        lightest = loads.index(min(loads))
        groups[lightest].append(run)
        loads[lightest] += _work(run)
    return [group for group in groups if group]


def _work(run: Run) -> int:
    rules, checks = run
    return len(rules) * sum(len(check.data) for check in checks)


def _run_plugin(plugin: Path, runs: Sequence[Run]) -> dict[str, list[dict[str, Any]]]:
    """The plugin's findings for each check (by key): each run is one plugin run (one cfn-guard process) with its
    rules over all its templates, as the plugin runs; all of them in one Node process."""
    found: dict[str, list[dict[str, Any]]] = {check.key: [] for rules, checks in runs if not rules for check in checks}
    runs = [(rules, checks) for rules, checks in runs if rules]
    if not runs:
        return found
    with tempfile.TemporaryDirectory(prefix="control-tower-") as folder:
        checked: list[dict[str, str]] = []
        for number, (_, checks) in enumerate(runs):
            checked.append({})
            for index, check in enumerate(checks):
                # same-named templates of two assemblies get folders of their own
                path = Path(folder) / f"{number}-{index}" / check.template_path.name
                path.parent.mkdir()
                path.write_bytes(check.data)
                checked[-1][check.key] = str(path)
        job = {
            "plugin": str(plugin),
            "maxBuffer": GUARD_OUTPUT_BUFFER_BYTES,
            "runs": [
                {"rules": [str(rule.path) for rule in rules], "templates": list(paths.values())}
                for (rules, _), paths in zip(runs, checked, strict=True)
            ],
        }
        run = subprocess.run(
            [node_executable(), "-e", _RUN_PLUGIN_JS],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            check=False,
            env=worker_environment(),
        )
        if run.returncode != 0:
            raise RuntimeError(f"cdk-validator-cfnguard failed ({run.returncode}): {run.stderr.strip()[-2000:]}")
        for paths, report in zip(checked, json.loads(run.stdout), strict=True):
            records = json_violation_records(report)
            found.update({key: records.get(path, []) for key, path in paths.items()})
    return found
