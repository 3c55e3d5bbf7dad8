"""The policy gates attached to the app at every synth (CMP-1).

Published packs: cdk-nag's AWS Solutions, NIST 800-53 rev 5, HIPAA Security and PCI DSS 3.2.1, and the AWS
Control Tower proactive controls (cfn-guard rules, run offline). Ours: `ProjectChecks` (NET-1, NET-3, BAK-4)
and `SecretLiteralScan` (ENC-4). Any unacknowledged finding fails the synth.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks

from constructs import IConstruct
from policies.baseline_rules import BaselineRules
from policies.control_tower import StrictCfnGuard
from policies.project_checks import ProjectChecks
from policies.secret_scan import SecretLiteralScan


def nag_packs(
    scope: IConstruct,
) -> dict[str, AwsSolutionsChecks | NIST80053R5Checks | HIPAASecurityChecks | PCIDSS321Checks | ProjectChecks]:
    """The cdk-nag packs, keyed by their report name; acknowledgements are copied into template Metadata."""
    packs = (
        AwsSolutionsChecks(scope, write_suppressions_to_cloud_formation=True),
        NIST80053R5Checks(scope, write_suppressions_to_cloud_formation=True),
        HIPAASecurityChecks(scope, write_suppressions_to_cloud_formation=True),
        PCIDSS321Checks(scope, write_suppressions_to_cloud_formation=True),
        ProjectChecks(scope, write_suppressions_to_cloud_formation=True),
    )
    return {pack.name: pack for pack in packs}


def attach_policy_gates(app: cdk.App) -> None:
    """Register every gate once, at the top of the app."""
    cdk.Validations.of(app).add_plugins(
        *nag_packs(app).values(), StrictCfnGuard(), SecretLiteralScan(), BaselineRules()
    )
