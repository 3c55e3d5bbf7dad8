"""Evidence that every AWS service writing into an encrypted destination can (CMP-1, ACC-4): the same evaluator as
the synth gate `ProjectDeliveryPaths` (policies/delivery_paths.py), run over the environment's stacks and the
account-level stacks of its account, one row per delivery with the principal and the AWS page it rests on."""

from __future__ import annotations

from evidence_report.assembly import Resource
from evidence_report.evidence import EnvironmentView, Evidence
from evidence_report.registry import evidence_rule
from policies.delivery_paths import evaluate_deliveries
from policies.delivery_table import delivery_table


def _is_writer(resource: Resource) -> bool:
    return any(resource.type == row.writer for row in delivery_table())


@evidence_rule("CMP-1", looks_for=_is_writer)
def cmp1_services_can_deliver_into_their_encrypted_destinations(env: EnvironmentView, out: Evidence) -> None:
    """Every service that writes logs, copies or alerts into an encrypted destination (CloudTrail, Config, flow logs,
    load balancer and WAF logs, S3 replication, Backup copies, SNS publishers, malware scans) is admitted by the
    destination's resource policy and KMS key policy as the principal AWS documents, and the destination has no
    setting the service does not support."""
    stacks = {stack.name: stack for stack in env.stacks}
    for delivery in evaluate_deliveries({name: stack.template for name, stack in stacks.items()}):
        writer = stacks[delivery.template_path].resource(delivery.writer_id)
        if writer is None:
            continue
        row = delivery.row
        principal = row.principals[0]
        if principal.startswith("role:"):
            principal = f"the role in {principal[5:]}" if principal[5:] else "its backup selection's role"
        where = f"{writer.logical_id} ({writer.stack.name}) -> {delivery.destination}"
        if delivery.missing:
            out.problem(f"{row.service}: {where}: {'; '.join(delivery.missing)}")
            continue
        out.row(
            writer,
            row.destination,
            delivery.destination,
            f"{row.service} may write as {principal} ({row.docs[0]})",
        )
