"""The policy gates attached to the app at every synth (CMP-1).

aws-cdk-lib's own CloudFormation template validation (cached per template). Published packs: cdk-nag's AWS
Solutions, NIST 800-53 rev 5, HIPAA Security and PCI DSS 3.2.1, and the AWS Control Tower proactive controls
(cfn-guard rules, run offline). Ours, over the templates: `ProjectChecks` (NET-1, NET-3, BAK-4),
`SecretLiteralScan` (ENC-4), `AccessRules` (ACC-2, ACC-3, ENC-3), `TrustRules` (ACC-3: the source conditions of
service-role trust policies), `DeployReadiness` (BAK-5, BAK-6, NET-3) and `DeliveryPathRules` (ACC-4, CMP-1, ENC-3:
every service writing into an encrypted destination is admitted by its resource and key policies): what the running
services accept and require, and `ReachabilityRules` (NET-1, NET-3): the promised network flows through security
groups, network ACLs and routes. Any unacknowledged finding fails the synth. A rule rejected by design for the whole
app is excluded here, once (`policies/rule_exclusions.py`: AwsSolutions-VPC3 for NET-1's per-tier network ACLs,
cfn-lint W3010 for LOC-1's pinned zones), never acknowledged resource by resource.
"""

from __future__ import annotations

import contextlib

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks

from constructs import IConstruct
from policies.access_rules import AccessRules
from policies.baseline_rules import BaselineRules
from policies.control_tower import StrictCfnGuard
from policies.create_only_names import read_shapes_beside
from policies.delivery_gate import DeliveryPathRules
from policies.deploy_readiness import DeployReadiness
from policies.excluded_rules import with_exclusions
from policies.gate_timing import GateCallback, TimedGate
from policies.project_checks import ProjectChecks
from policies.reachability_rules import ReachabilityRules
from policies.secret_scan import SecretLiteralScan
from policies.template_validation import CachedTemplateValidation
from policies.trust_rules import TrustRules


def nag_packs(
    scope: IConstruct,
) -> dict[str, AwsSolutionsChecks | NIST80053R5Checks | HIPAASecurityChecks | PCIDSS321Checks]:
    """The cdk-nag packs, keyed by their report name; acknowledgements are copied into template Metadata."""
    packs = (
        AwsSolutionsChecks(scope, write_suppressions_to_cloud_formation=True),
        NIST80053R5Checks(scope, write_suppressions_to_cloud_formation=True),
        HIPAASecurityChecks(scope, write_suppressions_to_cloud_formation=True),
        PCIDSS321Checks(scope, write_suppressions_to_cloud_formation=True),
    )
    return {pack.name: pack for pack in packs}


def policy_gates(app: cdk.App, *, control_tower: StrictCfnGuard | None = None) -> list[cdk.IPolicyValidationPlugin]:
    """Every gate, in the order they run: aws-cdk-lib's template validation, the cdk-nag packs, Control Tower,
    then our template scans; each with the app-wide rule exclusions applied. `control_tower` is a Control Tower gate
    the app already started on some templates (app.py: the cell pipeline stages' twins)."""
    control_tower = control_tower or StrictCfnGuard()

    def beside_the_engine(template_paths: list[str]) -> None:
        """Work that needs no jsii kernel, started while aws-cdk-lib's validation engine holds it (issue 25). Only a
        head start: if starting fails, the gates do the work themselves and report their own errors."""
        for start in (control_tower.start, read_shapes_beside):
            with contextlib.suppress(Exception):
                start(template_paths)

    gates: list[cdk.IPolicyValidationPlugin] = [
        CachedTemplateValidation(meanwhile=beside_the_engine),
        *nag_packs(app).values(),
        control_tower,
        ProjectChecks(),
        SecretLiteralScan(),
        AccessRules(),
        TrustRules(),
        DeployReadiness(),
        BaselineRules(),
        DeliveryPathRules(),
        ReachabilityRules(),
    ]
    return [with_exclusions(gate) for gate in gates]


def attach_policy_gates(
    app: cdk.App, *, on_gate_done: GateCallback | None = None, control_tower: StrictCfnGuard | None = None
) -> None:
    """Register every gate once, at the top of the app; `on_gate_done` hears each gate's time and findings.

    aws-cdk-lib's built-in template validation is registered here, cached (`new_app` turns off the uncached
    built-in registration), so an app built without the gates skips it.
    """
    gates = policy_gates(app, control_tower=control_tower)
    if on_gate_done is not None:
        gates = [TimedGate(gate, on_gate_done) for gate in gates]
    cdk.Validations.of(app).add_plugins(*gates)
