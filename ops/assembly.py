"""What preflight needs from a synthesized cloud assembly (`cdk.out/`), read as JSON: never by importing the app.

The assembly is optional: without it preflight uses the names `ops.names` derives from config. With it, preflight
also learns every physical name the templates set, the interface endpoint services, the NACL entry count per ACL
and the bootstrap version the assembly requires.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from config.limits import ENVIRONMENT_TAG
from ops.errors import OpsError
from ops.names import MIN_BOOTSTRAP_VERSION, PlannedName

# Resource type -> the property holding a physical name a create would fail on if it is taken.
NAMED_PROPERTIES = {
    "AWS::S3::Bucket": ("bucket", "BucketName"),
    "AWS::Logs::LogGroup": ("log group", "LogGroupName"),
    "AWS::Backup::BackupVault": ("backup vault", "BackupVaultName"),
    "AWS::EC2::KeyPair": ("key pair", "KeyName"),
    "AWS::RDS::DBInstance": ("DB instance", "DBInstanceIdentifier"),
}


@dataclass
class EnvironmentAssembly:
    """The environment's part of the assembly."""

    names: list[PlannedName] = field(default_factory=list)
    interface_services: set[str] = field(default_factory=set)
    acl_entries: Counter[tuple[str, str]] = field(default_factory=Counter)  # (acl logical id, in/out) -> entries
    required_bootstrap: int = MIN_BOOTSTRAP_VERSION
    resource_types: set[str] = field(default_factory=set)


def _literal(value: Any, pseudo: dict[str, str]) -> str | None:
    """A string property, or a Join of strings and pseudo parameters; None when it needs a deployed value."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return pseudo.get(value["Ref"])
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        resolved = [_literal(part, pseudo) for part in parts]
        return None if None in resolved else separator.join(str(part) for part in resolved)
    return None


def read_assembly(directory: Path, environment: str, account: str) -> EnvironmentAssembly:
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise OpsError(f"--assembly {directory}: no manifest.json there; run `make synth` or omit --assembly")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    result = EnvironmentAssembly()
    for name, artifact in manifest.get("artifacts", {}).items():
        properties = artifact.get("properties", {})
        if (
            artifact.get("type") != "aws:cloudformation:stack"
            or properties.get("tags", {}).get(ENVIRONMENT_TAG) != environment
        ):
            continue
        target_account, region = artifact["environment"].removeprefix("aws://").split("/")
        if target_account not in {"unknown-account", account}:
            raise OpsError(
                f"--assembly {directory}: {name} was synthesized for account {target_account}, not {account}; "
                "synthesize this config (make synth) or omit --assembly"
            )
        pseudo = {"AWS::AccountId": account, "AWS::Region": region, "AWS::Partition": "aws", "AWS::StackName": name}
        result.required_bootstrap = max(
            result.required_bootstrap, int(properties.get("requiresBootstrapStackVersion", 0))
        )
        template = json.loads((directory / properties["templateFile"]).read_text(encoding="utf-8"))
        for resource in template.get("Resources", {}).values():
            kind_and_property = NAMED_PROPERTIES.get(resource["Type"])
            props = resource.get("Properties", {})
            result.resource_types.add(resource["Type"])
            if kind_and_property and (value := _literal(props.get(kind_and_property[1]), pseudo)):
                result.names.append(PlannedName(kind_and_property[0], value, region, name))
            interface = resource["Type"] == "AWS::EC2::VPCEndpoint" and props.get("VpcEndpointType") == "Interface"
            if interface and (service := _literal(props.get("ServiceName"), pseudo)):
                result.interface_services.add(service)
            if resource["Type"] == "AWS::EC2::NetworkAclEntry":
                acl = props.get("NetworkAclId", {}).get("Ref", "?")
                result.acl_entries[(f"{name}/{acl}", "outbound" if props.get("Egress") else "inbound")] += 1
    if not result.names and not result.acl_entries:
        raise OpsError(
            f"--assembly {directory}: no stack tagged {ENVIRONMENT_TAG}={environment}; synthesize this config first"
        )
    return result
