"""`keys`: the environment's EC2 key pairs against the operators in config (ACC-2).

Who has a key, which keys are in no operator's entry (a revocation not yet deployed, or a stray key someone
imported by hand), their tags and creation dates. A key pair belongs to the environment when it carries the
`environment` tag or its name starts with `<env>-`; its operator is its `operator` tag, else the name's prefix
`<env>-<operator>` (a suffix such as a fingerprint may follow).

An operator without a key pair is `not deployed` while the environment has no bastion stack (the stack creates the
keys), as `verify` says for the same state, and a `fail` once it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ops.environment import Environment
from ops.report import Row


@dataclass(frozen=True)
class KeyPair:
    name: str
    operator: str | None
    raw: dict[str, Any]

    def describe(self) -> str:
        created = self.raw.get("CreateTime")
        tags = ",".join(f"{t['Key']}={t['Value']}" for t in sorted(self.raw.get("Tags", []), key=lambda t: t["Key"]))
        day = f"{created:%Y-%m-%d}" if created else "?"
        return (
            f"operator={self.operator or '?'} type={self.raw.get('KeyType', '?')} created={day} "
            f"fingerprint={self.raw.get('KeyFingerprint', '?')} tags={tags or 'none'}"
        )


def _operator(environment: Environment, pair: dict[str, Any]) -> str | None:
    tags = {t["Key"]: t["Value"] for t in pair.get("Tags", [])}
    if "operator" in tags:
        return tags["operator"]
    names = sorted((op.name for op in environment.env.operators), key=len, reverse=True)
    return next((n for n in names if pair["KeyName"].startswith(environment.names.key_pair_prefix(n))), None)


def inventory(environment: Environment) -> list[KeyPair]:
    pairs = environment.aws.client("ec2", environment.env.region).describe_key_pairs()["KeyPairs"]
    tag = {"Key": environment.names.tag[0], "Value": environment.env.name}
    ours = [p for p in pairs if tag in p.get("Tags", []) or p["KeyName"].startswith(f"{environment.env.name}-")]
    return [KeyPair(p["KeyName"], _operator(environment, p), p) for p in sorted(ours, key=lambda p: p["KeyName"])]


def run(environment: Environment) -> list[Row]:
    configured = {op.name for op in environment.env.operators}
    pairs = inventory(environment)
    rows = []
    for pair in pairs:
        if pair.operator in configured:
            rows.append(Row("ACC-2", f"key pair {pair.name}", "pass", pair.describe()))
        else:
            rows.append(
                Row(
                    "ACC-2",
                    f"key pair {pair.name}",
                    "fail",
                    f"not in config (revocation pending or a stray key): {pair.describe()}",
                    "deploy the bastion stack if its operator was removed; delete a key no stack owns: "
                    f"aws ec2 delete-key-pair --key-name {pair.name} --region {environment.env.region}",
                )
            )
    holders = {p.operator for p in pairs}
    deployed = environment.names.stack("bastion") in environment.stacks
    for operator in sorted(configured - holders):
        if deployed:
            rows.append(Row("ACC-2", f"operator {operator}", "fail", "has no key pair", "deploy the bastion stack"))
        else:
            observed = "has no key pair; no bastion stack yet"
            rows.append(Row("ACC-2", f"operator {operator}", "not deployed", observed, "deploy the bastion stack"))
    return rows
