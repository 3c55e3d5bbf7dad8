"""The AWS Control Tower proactive controls (cfn-guard rules), run offline at every synth (CMP-1).

`StrictCfnGuard` wraps cdk-validator-cfnguard's plugin and marks each violation `severity="error"`. Without that,
aws-cdk-lib 2.275 recomputes a plugin's success after applying acknowledgements as "no violation has severity
error"; cfn-guard's violations carry no severity, so a single acknowledged Control Tower finding anywhere in the
app let every other, unacknowledged one pass silently. tests/test_policy_gates.py holds the regression probe.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii
from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

GUARD_OUTPUT_BUFFER_BYTES = 64 * 1024 * 1024  # the default 1 MB is too small for a dozen templates


@jsii.implements(cdk.IPolicyValidationPlugin)
class StrictCfnGuard:
    def __init__(self) -> None:
        self._inner = CfnGuardValidator(max_buffer=GUARD_OUTPUT_BUFFER_BYTES)

    @property
    def name(self) -> str:
        return self._inner.name  # acknowledgement ids are namespaced by this name: cdk-validator-cfnguard::<rule>

    @property
    def rule_ids(self) -> list[str] | None:
        return self._inner.rule_ids

    @property
    def version(self) -> str | None:
        return self._inner.version

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        report = self._inner.validate(context)
        violations = [
            cdk.PolicyViolation(
                rule_name=violation.rule_name,
                description=violation.description,
                fix=violation.fix,
                rule_metadata=violation.rule_metadata,
                severity=violation.severity or "error",
                violating_resources=[
                    cdk.PolicyViolatingResource(
                        resource_logical_id=resource.resource_logical_id,
                        template_path=resource.template_path,
                        locations=resource.locations,
                    )
                    for resource in violation.violating_resources
                ],
            )
            for violation in report.violations
        ]
        return cdk.PolicyValidationPluginReport(
            success=report.success,
            violations=violations,
            metadata=report.metadata,
            plugin_version=report.plugin_version,
        )
