"""The control catalog IDs each verdict rule touches, in one table, so a finding can be followed back to the
catalog (../config/catalog.toml once it exists; shared/controls.md until then)."""

from __future__ import annotations

from typing import Final

CONTROLS: Final[dict[str, str]] = {
    # Network
    "sg_ingress_cidr": "NET-3",  # firewalls on all data entering from outside
    "sg_by_reference": "NET-1",  # tiers firewalled from each other (rules chained by reference)
    "sg_egress": "NET-1",
    "nacl": "NET-1",  # a numbered network ACL per tier
    "admin_access": "ACC-3",  # the bastion is reachable only from allow-listed admin networks
    # Identity and access
    "iam_identity": "ACC-3",  # permissions limited to what each job role needs
    "iam_trust": "ACC-8",  # access enforced through roles: who may assume them
    "iam_user": "ACC-8",  # no long-lived IAM users
    "resource_policy": "ACC-1",  # a tenant sees only its own data
    "public_access": "ACC-1",
    "tls_only": "ENC-1",  # TLS-only deny statements
    "key_policy": "ENC-3",
    # Encryption and logging
    "s3_encryption": "ENC-2",
    "encryption": "ENC-3",
    "logging": "ACC-4",  # all production access leaves an audit trail
    # Gates
    "acknowledgement": "CMP-1",  # rule packs enforced at synth; each accepted finding has a reason
}


def control(rule: str) -> str:
    """The catalog ID for one verdict rule (KeyError on a rule with no entry: every rule names its control)."""
    return CONTROLS[rule]
