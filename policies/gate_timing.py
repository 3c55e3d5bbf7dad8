"""Time each policy gate and count its findings, so a synth can say what it is doing (CMP-1).

`TimedGate` wraps any policy-validation plugin (a cdk-nag pack, the Control Tower gate, our template scans) and
delegates to it unchanged: same name, same rule ids, same report. After each run it hands the gate's name, its
duration and its finding count to `on_done`; `app.py` prints that as a progress line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import aws_cdk as cdk
import jsii
from cdk_nag import NagPack

from policies.wrapped_gate import WrappedGate


@dataclass(frozen=True)
class GateRun:
    name: str
    seconds: float
    findings: int  # violating resources before acknowledgements are applied
    # cdk-nag packs drop acknowledged findings themselves (NagPack.isAcknowledged) and report only the open ones.
    reports_acknowledged: bool = True


GateCallback = Callable[[GateRun], None]


@jsii.implements(cdk.IPolicyValidationPlugin)
class TimedGate(WrappedGate):
    def __init__(self, inner: cdk.IPolicyValidationPlugin, on_done: GateCallback) -> None:
        super().__init__(inner)
        self._on_done = on_done

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        started = time.perf_counter()
        report = self._inner.validate(context)
        findings = sum(len(violation.violating_resources) for violation in report.violations)
        seconds = time.perf_counter() - started
        # A wrapped cdk-nag pack (policies/excluded_rules.ExcludingGate) still drops its acknowledged findings itself.
        cdk_nag_pack = isinstance(self.innermost, NagPack)
        self._on_done(GateRun(self.name, seconds, findings, reports_acknowledged=not cdk_nag_pack))
        return report
