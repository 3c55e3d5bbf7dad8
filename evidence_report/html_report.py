"""evidence/index.html: one self-contained, printable page (inline CSS, no script, no external asset)."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from evidence_report.document import SUMMARY_STATUSES

STATUS_TEXT = {
    "met": "met",
    "provided by organization": "by organization",
    "partly built": "partly built",
    "not built": "not built",
    "not met": "NOT MET",
    "not applicable": "n/a",
    "out of scope": "out of scope",
}
LEGEND = {
    "met": "every evidence rule of the control found its evidence and no problem",
    "provided by organization": "the account's baseline says the organization provides a service this control rests "
    "on (CloudTrail, GuardDuty, Security Hub, AWS Config) and builds none here; the app's own parts are met; the "
    "organization's settings are not in these templates, so verify them there",
    "partly built": "the rules that can run are met; the others look for resources no stack builds yet",
    "not built": "no stack of the app builds the resources this control needs yet",
    "not met": "a rule found a problem, or found nothing, in this environment",
    "not applicable": "the catalog binds this control, or one rule of it, to other stages or to an optional feature "
    "(the public edge) this environment does not build; the reason is shown",
    "out of scope": "organisational or AWS's side of the shared responsibility model",
}

CSS = """
:root { --ink:#1b1f24; --muted:#59636e; --line:#d0d7de; --soft:#f6f8fa; --met:#1a7f37; --metbg:#dafbe1;
  --bad:#b3261e; --badbg:#ffebe9; --warn:#7d4e00; --warnbg:#fff8c5; --na:#59636e; --nabg:#eaeef2; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  max-width: 1180px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 19px; margin: 0 0 6px; }
h3 { font-size: 15px; margin: 14px 0 6px; }
h4 { font-size: 13.5px; margin: 10px 0 4px; }
p { margin: 4px 0 8px; } .muted { color: var(--muted); }
code, .mono { font: 12px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 4px 7px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; font-size: 12.5px; }
td { font-size: 12.5px; overflow-wrap: anywhere; }
td.num, th.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  white-space: nowrap; }
.s-met { color: var(--met); background: var(--metbg); }
.s-not-met { color: var(--bad); background: var(--badbg); }
.s-partly-built, .s-not-built, .s-provided-by-organization { color: var(--warn); background: var(--warnbg); }
.s-not-applicable, .s-out-of-scope { color: var(--na); background: var(--nabg); }
section.control { border-top: 2px solid var(--ink); padding-top: 12px; margin-top: 26px; }
.meta { display: grid; grid-template-columns: 110px 1fr; gap: 2px 12px; margin: 6px 0 10px; }
.meta dt { color: var(--muted); } .meta dd { margin: 0; }
ul.problems { margin: 4px 0 8px; color: var(--bad); }
.summary-line { background: var(--soft); border: 1px solid var(--line); padding: 8px 10px; margin: 10px 0; }
table.evidence, table.acks { table-layout: fixed; }
table.evidence td { overflow-wrap: anywhere; word-break: normal; }
.evidence td:nth-child(5) { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 11.5px; }
td.mono { font-size: 11.5px; }
nav.toc a { color: inherit; }
a { color: #0550ae; text-decoration: none; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { max-width: none; padding: 0; font-size: 10.5px; }
  th, td { font-size: 9.5px; padding: 2px 4px; }
  .evidence td:nth-child(5), code, .mono, td.mono { font-size: 8.5px; }
  thead { display: table-header-group; }
  table { table-layout: fixed; }
  td, code { word-break: break-word; }
  tr, .badge { break-inside: avoid; }
  section.control { break-before: page; border-top: none; margin-top: 0; }
  h2, h3, h4 { break-after: avoid; }
  a { color: inherit; }
  .badge { border: 1px solid currentColor; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
"""


def _badge(status: str) -> str:
    return f'<span class="badge s-{status.replace(" ", "-")}">{escape(STATUS_TEXT.get(status, status))}</span>'


def _e(value: Any) -> str:
    return escape(str(value))


# Where an identifier may wrap: after a run of separators (. : / ,) and between the words of a CamelCase name.
_BREAK = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[.:/,])(?![.:/,]|$)")


def _breakable(value: Any) -> str:
    """Escaped text with <wbr> at each place an identifier may wrap, so a narrow column never splits a word
    (`AssumeRolePolicyDocument.Statement[0].Condition`, `AWS::IAM::Role`, ARNs)."""
    return _BREAK.sub("<wbr>", _e(value))


def render_html(document: dict[str, Any]) -> str:
    envs = [env["name"] for env in document["environments"]]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(document['title'])}</title><style>{CSS}</style></head><body>",
        f"<h1>{_e(document['title'])}</h1>",
        f'<p class="muted">Cloud assembly <code>{_e(document["assembly"])}</code> · date {_e(document["date"])} '
        f"({_e(document['date_source'])}) · schema {_e(document['schema_version'])} · test results: "
        f"{_e(document['test_results'] or 'none given (outcomes not shown)')}</p>",
        _environments(document),
        _summary(document, envs),
        _legend(),
    ]
    parts += [_control(control, envs) for control in document["controls"]]
    parts += [_gates(document), "</body></html>"]
    return "\n".join(parts) + "\n"


def _environments(document: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{_e(env['name'])}</td><td>{_e(env['stage'] or '-')}</td><td class='num'>{_e(env['account'])}</td>"
        f"<td>{_e(', '.join(env['features']) or 'none')}</td>"
        f"<td class='mono'>{_e(', '.join(env['stacks']))}</td></tr>"
        for env in document["environments"]
    )
    features = "".join(
        f"<li><b>{_e(f['title'])}</b> ({_e(f['name'])}): built where {_e(f['detected_by'])}; built in "
        f"{_e(', '.join(f['built_in']) or 'no environment')}. Where absent: {_e(f['absent_reason'])}</li>"
        for f in document["features"]
    )
    return (
        "<h3>Environments</h3><table><thead><tr><th>Environment</th><th>Stage</th><th>Account</th>"
        "<th>Optional features</th>"
        f"<th>Stacks read (own, then account-level)</th></tr></thead><tbody>{rows}</tbody></table>"
        + (f"<ul class='muted'>{features}</ul>" if features else "")
    )


def _summary(document: dict[str, Any], envs: list[str]) -> str:
    line = "; ".join(
        f"<b>{_e(env)}</b>: " + ", ".join(f"{n} {_e(s)}" for s, n in counts.items() if n)
        for env, counts in document["summary"].items()
    )
    head = "".join(f"<th>{_e(env)}</th>" for env in envs)
    rows = []
    for c in document["controls"]:
        statuses = "".join(f"<td>{_badge(c['status'][env])}</td>" for env in envs)
        title = f'<a href="#{_e(c["id"])}">{_e(c["title"])}</a>'
        if c["scope"] == "out":
            title += f'<br><span class="muted">{_e(c["out_of_scope_reason"])}</span>'
        elif c["stages"]:
            title += f'<br><span class="muted">binds {_e(", ".join(c["stages"]))} only</span>'
        elif c["requires"]:
            needed = _e(", ".join(c["requires"]).lower())
            title += f'<br><span class="muted">binds environments with a {needed} only</span>'
        elif c["parts_require"]:
            needed = _e(", ".join(c["parts_require"]).lower())
            title += f'<br><span class="muted">{needed} parts bind where built</span>'
        rows.append(
            f"<tr><td><b>{_e(c['id'])}</b></td><td>{title}</td>{statuses}<td class='num'>{c['evidence_count']}</td>"
            f"<td class='num'>{c['acknowledgement_count']}</td><td class='num'>{c['test_count']}</td></tr>"
        )
    return (
        f'<div class="summary-line">{line}</div><h3>Summary</h3><table><thead><tr><th>Control</th><th>Promise</th>'
        f"{head}<th class='num'>Evidence rows</th><th class='num'>Acknowledgements</th><th class='num'>Tests</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _legend() -> str:
    items = "".join(f"<tr><td>{_badge(s)}</td><td>{_e(LEGEND[s])}</td></tr>" for s in SUMMARY_STATUSES)
    return f"<h3>What the statuses mean</h3><table><tbody>{items}</tbody></table>"


def _control(c: dict[str, Any], envs: list[str]) -> str:
    out = [
        f'<section class="control" id="{_e(c["id"])}"><h2>{_e(c["id"])} · {_e(c["title"])}</h2>',
        f'<dl class="meta"><dt>Family</dt><dd>{_e(c["family"])}</dd><dt>Promise</dt><dd>{_e(c["promise"])}</dd>'
        f"<dt>Maps to</dt><dd>{_e(c['maps_to'])}</dd><dt>Status</dt><dd>"
        + " ".join(f"{_e(env)} {_badge(c['status'][env])}" for env in envs)
        + "</dd>",
    ]
    if c["scope"] == "out":
        out.append(f"<dt>Out of scope</dt><dd>{_e(c['out_of_scope_reason'])}</dd></dl></section>")
        return "".join(out)
    if c["stages"]:
        out.append(f"<dt>Stages</dt><dd>{_e(', '.join(c['stages']))} only: {_e(c['stages_reason'])}</dd>")
    if c["requires"]:
        out.append(f"<dt>Binds</dt><dd>environments that build a {_e(', '.join(c['requires']).lower())}</dd>")
    if c["parts_require"]:
        parts = _e(", ".join(c["parts_require"]).lower())
        out.append(f"<dt>Parts</dt><dd>the {parts} rules bind environments that build a {parts}</dd>")
    out.append("</dl>")
    for env in c["environments"]:
        out.append(f"<h3>{_e(env['environment'])} {_badge(env['status'])}</h3>")
        if env["reason"] and not env["rules"]:
            out.append(f"<p class='muted'>{_e(env['reason'])}</p>")
        for rule in env["rules"]:
            out.append(
                f"<h4>{_badge(rule['status'])} {_e(rule['summary'])} <code class='muted'>{_e(rule['rule'])}</code></h4>"
            )
            if rule["reason"]:
                out.append(f"<p class='muted'>{_e(rule['reason'])}</p>")
            if rule["problems"] and rule["status"] != "not built":
                out.append("<ul class='problems'>" + "".join(f"<li>{_e(p)}</li>" for p in rule["problems"]) + "</ul>")
            if rule["status"] == "not built":
                out.append("<p class='muted'>No stack of the app builds the resources this rule looks for yet.</p>")
            if rule["evidence"]:
                out.append(_evidence_table(rule["evidence"]))
    out.append(_acknowledgements(c["causes"], len(c["acknowledgements"])))
    if c["exclusions"]:
        rules = ", ".join(e["rule_id"] for e in c["exclusions"])
        out.append(
            f"<p class='muted'>Excluded for the whole app under this control: <code>{_e(rules)}</code>; the reason "
            "is shown once, under <a href='#gates'>Policy gates</a>.</p>"
        )
    out.append(_tests(c["tests"]))
    out.append("</section>")
    return "".join(out)


def _evidence_table(rows: list[dict[str, Any]]) -> str:
    body = "".join(
        f"<tr><td class='mono'>{_breakable(r['stack'])}</td><td class='mono'>{_breakable(r['logical_id'])}</td>"
        f"<td class='mono'>{_breakable(r['resource_type'])}</td><td class='mono'>{_breakable(r['property_path'])}</td>"
        f"<td>{_breakable(r['value'])}</td><td>{_e(r['why'])}</td></tr>"
        for r in rows
    )
    return (
        "<table class='evidence'><colgroup><col style='width:11%'><col style='width:17%'><col style='width:13%'>"
        "<col style='width:14%'><col style='width:23%'><col style='width:22%'></colgroup>"
        "<thead><tr><th>Stack</th><th>Logical ID</th><th>Type</th><th>Property</th>"
        f"<th>Value</th><th>Why it keeps the promise</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _acknowledgements(causes: list[dict[str, Any]], entries: int) -> str:
    """One row per cause (one reason, reviewed once): the rule IDs it answers and every resource it sits on."""
    if not causes:
        return "<h3>Acknowledged findings</h3><p class='muted'>None names this control.</p>"
    body = "".join(
        f"<tr><td>{_e(c['basis'])}</td><td>{_e(c['how'])}</td>"
        f"<td class='mono'>{_e(', '.join(c['rule_ids']))}</td>"
        f"<td class='num'>{c['entries']}</td><td class='mono'>{_e(_first(list(c['resources'])))}</td></tr>"
        for c in causes
    )
    return (
        f"<h3>Acknowledged findings ({len(causes)} causes, {entries} acknowledgements on resources)</h3>"
        "<table class='acks'><colgroup><col style='width:9%'><col style='width:36%'><col style='width:22%'>"
        "<col style='width:6%'><col style='width:27%'></colgroup><thead><tr>"
        "<th>Basis</th><th>How the control is met instead, or why the rule does not apply</th><th>Rules answered</th>"
        f"<th class='num'>Entries</th><th>Stack/logical ID</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _exclusions(excluded: list[dict[str, Any]], title: str) -> str:
    """Each app-wide rule exclusion once, with its control and reason (policies/rule_exclusions.py); the variants of
    one check in several packs (HIPAA, PCI) share one row, as they share one reason."""
    if not excluded:
        return ""
    rows: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for e in excluded:
        rows.setdefault((e["control"], e["basis"], e["how"]), []).append(e)
    body = "".join(
        f"<tr><td class='mono'>{'<br>'.join(_e(e['rule_id']) for e in same)}</td>"
        f"<td>{_e(', '.join(e['plugin'] for e in same))}</td><td>{_e(control)}</td>"
        f"<td>{_e(basis)}</td><td>{_e(how)}</td></tr>"
        for (control, basis, how), same in rows.items()
    )
    return (
        f"<h3>{_e(title)} ({len(excluded)})</h3><table class='acks'><thead><tr><th>Rule</th><th>Gate</th>"
        f"<th>Control</th><th>Basis</th><th>Reason</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _first(resources: list[str], shown: int = 6) -> str:
    """The first few resources of an acknowledgement; evidence.json lists them all."""
    rest = len(resources) - shown
    return ", ".join(resources[:shown]) + (f" and {rest} more (all in evidence.json)" if rest > 0 else "")


def _tests(tests: list[dict[str, Any]]) -> str:
    if not tests:
        return "<h3>Proving tests</h3><p class='muted'>No test name carries this control ID.</p>"
    body = "".join(
        f"<tr><td class='mono'>{_e(t['name'])}</td><td class='mono'>{_e(t['file'])}:{t['line']}</td>"
        f"<td>{_e(t['outcome'] or '-')}</td></tr>"
        for t in tests
    )
    return (
        f"<h3>Proving tests ({len(tests)})</h3><table><thead><tr><th>Test</th><th>Where</th><th>Last outcome</th>"
        f"</tr></thead><tbody>{body}</tbody></table>"
    )


def _gates(document: dict[str, Any]) -> str:
    gates = document["gates"]
    rows = "".join(
        f"<tr><td>{_e(p['name'])}</td><td>{_e(p['version'])}</td><td>{_e(p['conclusion'])}</td>"
        f"<td>{_e(', '.join(p['open_violations']) or 'none')}</td><td class='num'>{p['acknowledged']}</td></tr>"
        for p in gates["plugins"]
    )
    unattributed = "".join(
        f"<tr><td class='mono'>{_e(a['rule_id'])}</td><td class='mono'>{_e(a['stack'])} {_e(a['logical_id'])}</td>"
        f"<td>{_e(a['reason'])}</td></tr>"
        for a in gates["unattributed_acknowledgements"]
    )
    return (
        '<section class="control" id="gates"><h2>Policy gates</h2>'
        f"<p>validation-report.json present: <b>{'yes' if gates['validation_report'] else 'no'}</b>. Packs whose "
        f"findings were acknowledged in template Metadata: {_e(', '.join(gates['packs_seen']))}; "
        f"{gates['acknowledgement_count']} acknowledgements on resources in all, for {gates['cause_count']} "
        "causes (each control's section lists its causes once).</p>"
        "<p class='muted'>aws-cdk-lib leaves out of validation-report.json every plugin that passed with nothing to "
        "report; cdk-nag packs record their acknowledgements in template Metadata instead.</p>"
        "<table><thead><tr><th>Plugin</th><th>Version</th><th>Conclusion</th><th>Open violations</th>"
        f"<th class='num'>Acknowledged</th></tr></thead><tbody>{rows}</tbody></table>"
        + _exclusions(gates["exclusions"], "Rules excluded for the whole app, once, where the gates are attached")
        + "<p class='muted'>An excluded rule's findings are dropped by the gate wrapper (policies/excluded_rules.py) "
        "instead of being acknowledged on every resource it would fire on.</p>"
        f"<h3>Acknowledgements whose reason names no catalog control ({len(gates['unattributed_acknowledgements'])})"
        "</h3>"
        "<p class='muted'>The project's <code>acknowledge()</code> refuses such a reason, so these were written "
        "outside it (for example by aws-cdk-lib itself).</p>"
        f"<table><thead><tr><th>Rule</th><th>Resource</th><th>Reason</th></tr></thead><tbody>{unattributed}</tbody>"
        "</table></section>"
    )
