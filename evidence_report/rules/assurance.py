"""Evidence rule for assurance (CMP-1): the rule packs ran at synth and passed, with every finding either fixed
or acknowledged on its resource."""

from __future__ import annotations

from evidence_report.evidence import EnvironmentView, Evidence, Row
from evidence_report.gates import acknowledgements, packs_seen, plugin_results
from evidence_report.registry import evidence_rule


@evidence_rule("CMP-1", looks_for=lambda r: True)
def cmp1_rule_packs_passed_at_synth(env: EnvironmentView, out: Evidence) -> None:
    """validation-report.json shows no failing plugin and no open violation; acknowledgements name the packs run."""
    report = env.assembly.validation_report
    if report is None:
        out.problem("no validation-report.json in the assembly: the gates' result is unknown")
        return
    plugins = plugin_results(report)
    for plugin in plugins:
        if plugin.conclusion != "success" or plugin.open_violations:
            out.problem(f"plugin {plugin.name}: {plugin.conclusion}, open: {', '.join(plugin.open_violations) or '-'}")
    if out.problems:
        return
    for plugin in plugins:
        out.rows.append(
            Row(
                env.name,
                "(assembly)",
                "-",
                "validation-report.json",
                f"pluginReports[{plugin.name} {plugin.version}]",
                f"{plugin.conclusion}, 0 open violations",
                f"{plugin.acknowledged} finding(s) acknowledged with a reason",
            )
        )
    for stack in env.stacks:
        packs = packs_seen(acknowledgements([stack]))
        if packs:
            out.stack_row(
                stack,
                "Metadata.cdk_nag.rules_to_suppress",
                ", ".join(packs),
                "packs that ran here and whose findings were decided",
            )
