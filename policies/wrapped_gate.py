"""A policy gate that wraps another and keeps its identity (CMP-1): same name, rule ids and version.

`ExcludingGate` (app-wide rule exclusions) and `TimedGate` (progress lines) change what happens around `validate`,
never what the report says a gate is; they share this base instead of two copies of the forwarding.
"""

from __future__ import annotations

import aws_cdk as cdk
import jsii


@jsii.implements(cdk.IPolicyValidationPlugin)
class WrappedGate:
    def __init__(self, inner: cdk.IPolicyValidationPlugin) -> None:
        self._inner = inner

    @property
    def inner(self) -> cdk.IPolicyValidationPlugin:
        """The wrapped gate."""
        return self._inner

    @property
    def innermost(self) -> cdk.IPolicyValidationPlugin:
        """The gate at the bottom of a stack of wrappers (the progress line asks whether it is a cdk-nag pack)."""
        gate = self._inner
        while isinstance(gate, WrappedGate):
            gate = gate.inner
        return gate

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def rule_ids(self) -> list[str] | None:
        return self._inner.rule_ids

    @property
    def version(self) -> str | None:
        return self._inner.version

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        return self._inner.validate(context)
