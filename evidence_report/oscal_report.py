"""OSCAL 1.x documents of the evidence, built with compliance-trestle's models (which validate on construction).

- catalog.json: the control catalog (config/catalog.toml), one group per family, one objective per control;
- component-definition.json: our components (one per kind of stack) and the controls whose evidence they hold;
- assessment-plan.json: what was assessed and how (the controls in scope, examined in the synthesized templates by
  the evidence rules); OSCAL 1.x requires a plan's import-ssp, and no system security plan is published, so it
  points at a back-matter resource that names component-definition.json and says so;
- assessment-results.json: per environment one result; per control an observation of each rule's evidence
  (method EXAMINE: read from the templates) and a finding whose target is the control's objective; its import-ap
  names assessment-plan.json.
UUIDs are uuid5 of the content's names, so the same assembly always gives the same documents.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from trestle.core.base_model import OscalBaseModel
from trestle.oscal import OSCAL_VERSION, common
from trestle.oscal import assessment_plan as ap
from trestle.oscal import assessment_results as ar
from trestle.oscal import catalog as cat
from trestle.oscal import component as cd

from evidence_report.evaluate import MET, NOT_APPLICABLE, NOT_BUILT, OUT_OF_SCOPE, PARTLY_BUILT, PROVIDED

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:hardened-aws-environment:evidence-report")
_IMPLEMENTATION = {MET: "implemented", PARTLY_BUILT: "partial", NOT_BUILT: "planned", NOT_APPLICABLE: "not-applicable"}
ASSEMBLY_STACK = "(assembly)"


def _uuid(*names: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "/".join(names)))


def oscal_id(control_id: str) -> str:
    return control_id.lower()


def _metadata(document: dict[str, Any], title: str) -> common.Metadata:
    return common.Metadata(
        title=title,
        last_modified=datetime.fromisoformat(document["date"]),
        version=document["schema_version"],
        oscal_version=OSCAL_VERSION,
        props=[common.Property(name="assembly", value=document["assembly"])] if document["assembly"] else None,
    )


def build_catalog(document: dict[str, Any]) -> cat.Catalog:
    groups: dict[str, list[cat.Control]] = defaultdict(list)
    for control in document["controls"]:
        cid = oscal_id(control["id"])
        parts = [
            common.Part(id=f"{cid}_smt", name="statement", prose=control["promise"]),
            common.Part(id=f"{cid}_gdn", name="guidance", prose=control["maps_to"]),
            common.Part(
                id=f"{cid}_obj",
                name="objective",
                prose=control["out_of_scope_reason"] or f"The templates show: {control['maps_to']}",
            ),
        ]
        props = [common.Property(name="label", value=control["id"])]
        if control["scope"] == "out":
            props.append(common.Property(name="status", value="withdrawn", remarks=control["out_of_scope_reason"]))
        groups[control["family"]].append(cat.Control(id=cid, title=control["title"], props=props, parts=parts))
    return cat.Catalog(
        uuid=_uuid("catalog"),
        metadata=_metadata(document, "Control catalog (config/catalog.toml)"),
        groups=[
            cat.Group2(id=_group_id(family), title=family, controls=controls) for family, controls in groups.items()
        ],
    )


def _group_id(family: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in family.lower()).strip("-")


def component_of(stack: str, environments: list[dict[str, Any]]) -> str:
    """A stack's component: its purpose (`acme-prod-backup-dr` -> backup-dr); account-level stacks keep their kind."""
    if stack == ASSEMBLY_STACK:
        return "policy-gates"
    for env in environments:
        if stack.startswith(f"{env['name']}-"):
            return stack.removeprefix(f"{env['name']}-")
    return stack.split("-", 1)[1] if "-" in stack else stack


def build_component_definition(document: dict[str, Any]) -> cd.ComponentDefinition:
    evidence: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    stacks: dict[str, set[str]] = defaultdict(set)
    for control in document["controls"]:
        for env in control["environments"]:
            for rule in env["rules"]:
                for row in rule["evidence"]:
                    component = component_of(row["stack"], document["environments"])
                    stacks[component].add(row["stack"])
                    if rule["summary"] not in evidence[component][control["id"]]:
                        evidence[component][control["id"]].append(rule["summary"])
    components = []
    for name in sorted(evidence):
        requirements = [
            cd.ImplementedRequirement(
                uuid=_uuid("component", name, control_id),
                control_id=oscal_id(control_id),
                description=" ".join(summaries),
            )
            for control_id, summaries in sorted(evidence[name].items())
        ]
        components.append(
            cd.DefinedComponent(
                uuid=_uuid("component", name),
                type="validation" if name == "policy-gates" else "service",
                title=name,
                description=f"CloudFormation stacks: {', '.join(sorted(stacks[name]))}",
                control_implementations=[
                    cd.ControlImplementation(
                        uuid=_uuid("component", name, "implementation"),
                        source="catalog.json",
                        description=f"Controls whose evidence the evidence rules found in the {name} templates.",
                        implemented_requirements=requirements,
                    )
                ],
            )
        )
    return cd.ComponentDefinition(
        uuid=_uuid("component-definition"),
        metadata=_metadata(document, "Components of the hardened AWS environment and the controls they implement"),
        components=components,
    )


def build_assessment_results(document: dict[str, Any]) -> ar.AssessmentResults:
    collected = datetime.fromisoformat(document["date"])
    results = []
    for env in document["environments"]:
        name = env["name"]
        observations: list[common.Observation] = []
        findings: list[common.Finding] = []
        reviewed: list[common.SelectControlById] = []
        for control in document["controls"]:
            status = control["status"][name]
            if status == OUT_OF_SCOPE:
                continue
            cid = oscal_id(control["id"])
            reviewed.append(common.SelectControlById(control_id=cid))
            env_result = next(e for e in control["environments"] if e["environment"] == name)
            related = []
            for rule in env_result["rules"]:
                observation = _observation(name, control["id"], rule, collected)
                observations.append(observation)
                related.append(common.RelatedObservation(observation_uuid=observation.uuid))
            for observation in _accepted_findings(name, env["stacks"], control, collected):
                observations.append(observation)
                related.append(common.RelatedObservation(observation_uuid=observation.uuid))
            findings.append(
                common.Finding(
                    uuid=_uuid("finding", name, control["id"]),
                    title=f"{control['id']} in {name}: {status}",
                    description=control["promise"],
                    target=common.FindingTarget(
                        type="objective-id",
                        target_id=f"{cid}_obj",
                        status=common.ObjectiveStatus(
                            state="satisfied" if status == MET else "not-satisfied",
                            remarks=env_result["reason"] if status in (NOT_APPLICABLE, PROVIDED) else None,
                        ),
                        implementation_status=common.ImplementationStatus(state=_IMPLEMENTATION[status])
                        if status in _IMPLEMENTATION
                        else None,
                        props=[common.Property(name="evidence-status", value=status.replace(" ", "-"))],
                    ),
                    related_observations=related or None,
                )
            )
        results.append(
            ar.Result(
                uuid=_uuid("result", name),
                title=f"Template evidence for {name}",
                description=f"Evidence rules run over the templates of {name} ({', '.join(env['stacks'])}).",
                start=collected,
                reviewed_controls=common.ReviewedControls(
                    control_selections=[common.ControlSelections(include_controls=reviewed)]
                ),
                observations=observations or None,
                findings=findings or None,
            )
        )
    return ar.AssessmentResults(
        uuid=_uuid("assessment-results"),
        metadata=_metadata(document, "Assessment results: evidence in the synthesized templates"),
        import_ap=ar.ImportAp(href=PLAN_FILE),
        results=results,
    )


PLAN_FILE = "assessment-plan.json"


def _in_scope(document: dict[str, Any]) -> list[common.SelectControlById]:
    """The controls some environment assesses (each result reviews its own in-scope subset)."""
    return [
        common.SelectControlById(control_id=oscal_id(control["id"]))
        for control in document["controls"]
        if any(status != OUT_OF_SCOPE for status in control["status"].values())
    ]


def build_assessment_plan(document: dict[str, Any]) -> ap.AssessmentPlan:
    system = _uuid("assessment-plan", "system")
    environments = ", ".join(env["name"] for env in document["environments"])
    return ap.AssessmentPlan(
        uuid=_uuid("assessment-plan"),
        metadata=_metadata(document, "Assessment plan: evidence rules over the synthesized templates"),
        import_ssp=common.ImportSsp(
            href=f"#{system}",
            remarks="No system security plan is published: the system is described by its component definition.",
        ),
        reviewed_controls=common.ReviewedControls(
            description="Each in-scope control of the catalog, examined by its evidence rules (evidence_report/rules) "
            f"in the synthesized CloudFormation templates of {environments}; evidence.json lists what each rule read.",
            control_selections=[common.ControlSelections(include_controls=_in_scope(document))],
        ),
        back_matter=common.BackMatter(
            resources=[
                common.Resource(
                    uuid=system,
                    title="The assessed system: its components and the controls they implement",
                    rlinks=[common.Rlink(href="component-definition.json", media_type="application/json")],
                )
            ]
        ),
    )


def _observation(environment: str, control_id: str, rule: dict[str, Any], collected: datetime) -> common.Observation:
    evidence = [
        common.RelevantEvidence(
            description=f"{row['stack']} {row['logical_id']} ({row['resource_type']}) {row['property_path']} = "
            f"{row['value']}: {row['why']}"
        )
        for row in rule["evidence"]
    ]
    problems = "; ".join(rule["problems"])
    return common.Observation(
        uuid=_uuid("observation", environment, control_id, rule["rule"]),
        title=f"{control_id} {rule['rule']}",
        description=f"{rule['summary']} Result: {rule['status']}." + (f" Problems: {problems}" if problems else ""),
        methods=["EXAMINE"],
        types=["control-objective"],
        collected=collected,
        relevant_evidence=evidence or None,
    )


def _accepted_findings(
    environment: str, stacks: list[str], control: dict[str, Any], collected: datetime
) -> list[common.Observation]:
    """One observation per acknowledged cause with resources in this environment, and per app-wide exclusion."""
    observations = []
    for cause in control["causes"]:
        resources = [r for r in cause["resources"] if r.split("/", 1)[0] in stacks]
        if not resources:
            continue
        observations.append(
            common.Observation(
                uuid=_uuid("acknowledged", environment, cause["reason"]),
                title=f"{control['id']} acknowledged ({cause['basis']}): {', '.join(cause['rule_ids'])}",
                description=cause["how"],
                methods=["EXAMINE"],
                types=["control-objective"],
                collected=collected,
                relevant_evidence=[common.RelevantEvidence(description=r) for r in resources],
            )
        )
    for excluded in control["exclusions"]:
        observations.append(
            common.Observation(
                uuid=_uuid("excluded", environment, excluded["rule_id"]),
                title=f"{control['id']} rule excluded for the whole app ({excluded['basis']}): {excluded['rule_id']}",
                description=excluded["how"],
                methods=["EXAMINE"],
                types=["control-objective"],
                collected=collected,
            )
        )
    return observations


def oscal_documents(document: dict[str, Any]) -> dict[str, bytes]:
    """File name -> pretty OSCAL JSON bytes."""
    models: dict[str, OscalBaseModel] = {
        "catalog.json": build_catalog(document),
        "component-definition.json": build_component_definition(document),
        PLAN_FILE: build_assessment_plan(document),
        "assessment-results.json": build_assessment_results(document),
    }
    return {name: model.oscal_serialize_json_bytes(pretty=True) + b"\n" for name, model in models.items()}
