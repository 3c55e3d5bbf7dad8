"""Deploy a synthesized cloud assembly into moto (in-process), the way `cdk bootstrap` + `cdk deploy --all` would.

Generic over the assembly: every `aws:cloudformation:stack` artifact of the manifest is created in dependency order
(the manifest's `dependencies`), in the account and region its manifest `environment` names. An
environment-agnostic stack (`aws://unknown-account/<region>`) goes into moto's default account, 123456789012.
Before the stacks, each (account, region) gets what `cdk bootstrap` leaves: a `CDKToolkit` stack holding the
`/cdk-bootstrap/hnb659fds/version` SSM parameter and the staging bucket, and the file assets of the asset manifests
uploaded to it. moto's defects are worked around in tests/moto_workarounds.py only; the resource types moto's
CloudFormation skips are created through their service APIs by tests/moto_skipped_types.py.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto import mock_aws

from config.pipeline import FLEET_TAG
from tests.botocore_reuse import harness_client
from tests.moto_skipped_types import Resolver, create_skipped_resources
from tests.moto_workarounds import (
    cross_region_imports,
    existing_hosted_zone,
    for_moto,
    patched_moto,
    record_in_stack,
    restore_dropped_properties,
    run_custom_resources,
)

MOTO_DEFAULT_ACCOUNT = "123456789012"
BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_PARAMETER = f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version"
# The bootstrap template version `cdk bootstrap` of the pinned CLI (aws-cdk 2.1148) writes.
BOOTSTRAP_VERSION = 30
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@dataclass(frozen=True)
class StackArtifact:
    """One stack of the manifest, with where it deploys."""

    name: str
    account: str
    region: str
    template_file: str
    dependencies: tuple[str, ...]
    tags: dict[str, str]
    asset_manifest: str | None


@contextlib.contextmanager
def in_account(account: str) -> Iterator[None]:
    """moto serves the account named by MOTO_ACCOUNT_ID (read on every request)."""
    before = os.environ.get("MOTO_ACCOUNT_ID")
    os.environ["MOTO_ACCOUNT_ID"] = account
    try:
        yield
    finally:
        if before is None:
            del os.environ["MOTO_ACCOUNT_ID"]
        else:
            os.environ["MOTO_ACCOUNT_ID"] = before


def read_manifest(outdir: Path) -> list[StackArtifact]:
    """The assembly's stacks in an order where every stack follows the stacks it depends on."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    artifacts: dict[str, Any] = manifest["artifacts"]
    stacks: dict[str, StackArtifact] = {}
    for name, artifact in artifacts.items():
        if artifact["type"] != "aws:cloudformation:stack" or FLEET_TAG in artifact["properties"].get("tags", {}):
            continue  # the cell pipelines need CodePipeline, which moto cannot run (tests/test_pipeline_*.py)
        account, region = artifact["environment"].removeprefix("aws://").split("/")
        asset_manifests = [
            artifacts[dependency]["properties"]["file"]
            for dependency in artifact.get("dependencies", [])
            if artifacts.get(dependency, {}).get("type") == "cdk:asset-manifest"
        ]
        stacks[name] = StackArtifact(
            name=name,
            account=MOTO_DEFAULT_ACCOUNT if account == "unknown-account" else account,
            region=region,
            template_file=artifact["properties"]["templateFile"],
            dependencies=tuple(d for d in artifact.get("dependencies", []) if d in artifacts and d != name),
            tags=dict(artifact["properties"].get("tags", {})),
            asset_manifest=asset_manifests[0] if asset_manifests else None,
        )
    ordered: list[StackArtifact] = []
    placed: set[str] = set()

    def place(name: str) -> None:
        if name in placed:
            return
        for dependency in stacks[name].dependencies:
            if dependency in stacks:
                place(dependency)
        placed.add(name)
        ordered.append(stacks[name])

    for name in sorted(stacks):
        place(name)
    return ordered


def staging_bucket(account: str, region: str) -> str:
    return f"cdk-{BOOTSTRAP_QUALIFIER}-assets-{account}-{region}"


def bootstrap_template(account: str, region: str, version: int = BOOTSTRAP_VERSION) -> dict[str, Any]:
    """The parts of the CDK bootstrap stack a deploy reads: the version parameter and the staging bucket."""
    return {
        "Resources": {
            "StagingBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": staging_bucket(account, region)}},
            "CdkBootstrapVersion": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Name": BOOTSTRAP_PARAMETER, "Type": "String", "Value": str(version)},
            },
        },
        "Outputs": {"BootstrapVersion": {"Value": str(version)}},
    }


def bootstrap(account: str, region: str, version: int = BOOTSTRAP_VERSION) -> None:
    """What `cdk bootstrap aws://<account>/<region>` leaves, as a CDKToolkit stack in moto."""
    with in_account(account):
        harness_client("cloudformation", region_name=region).create_stack(
            StackName="CDKToolkit", TemplateBody=json.dumps(bootstrap_template(account, region, version))
        )


def _zip_directory(path: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(path).as_posix())
    return buffer.getvalue()


def publish_assets(outdir: Path, asset_manifest: str, account: str) -> int:
    """Upload every file asset to the destination its asset manifest names (what `cdk-assets publish` does)."""
    manifest = json.loads((outdir / asset_manifest).read_text(encoding="utf-8"))
    count = 0
    for asset in manifest.get("files", {}).values():
        source = outdir / asset["source"]["path"]
        body = _zip_directory(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            bucket = destination["bucketName"].replace("${AWS::AccountId}", account)
            with in_account(account):
                s3 = harness_client("s3", region_name=destination["region"])
                s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)
            count += 1
    return count


@dataclass
class MotoDeployment:
    """The deployed assembly: where each stack went, its status, what moto skipped, and what it cost."""

    outdir: Path
    stacks: dict[str, StackArtifact] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    skipped_types: Counter[str] = field(default_factory=Counter)
    created_through_api: Counter[str] = field(default_factory=Counter)
    custom_resources: dict[tuple[str, str], str] = field(default_factory=dict)  # (stack, logical id) -> what was done
    assets_published: int = 0
    seconds: float = 0.0

    def environment_account(self, environment: str) -> str:
        """The account an environment's stacks went into (its config account, or moto's default)."""
        return next(s.account for s in self.stacks.values() if s.tags.get("environment") == environment)


def _deploy_stack(
    deployment: MotoDeployment, artifact: StackArtifact, template: dict[str, Any], caught: list[warnings.WarningMessage]
) -> None:
    """One stack, inside its account: what its resources read first, then the stack, then what moto skipped."""
    present = {resource["Type"] for resource in template["Resources"].values()}
    before = Resolver(artifact, template, before_stack=True)
    before.attributes.update(cross_region_imports(template))
    deployment.created_through_api.update(create_skipped_resources(before, present, before_stack=True))
    known = {**before.attributes, **{(logical_id, "Ref"): value for logical_id, value in before.physical.items()}}
    cloudformation = harness_client("cloudformation", region_name=artifact.region)
    cloudformation.create_stack(
        StackName=artifact.name,
        TemplateBody=json.dumps(for_moto(template, known)),
        Capabilities=CAPABILITIES,
        Tags=[{"Key": k, "Value": v} for k, v in artifact.tags.items()],
        EnableTerminationProtection=False,
    )
    stack = cloudformation.describe_stacks(StackName=artifact.name)["Stacks"][0]
    deployment.statuses[artifact.name] = stack["StackStatus"]
    skipped = Counter(str(w.message).split()[3] for w in caught if str(w.message).startswith("Tried to parse "))
    deployment.skipped_types.update(
        {
            resource_type: sum(1 for r in template["Resources"].values() if r["Type"] == resource_type)
            for resource_type in skipped
        }
    )
    resolve = Resolver(artifact, template)
    resolve.attributes.update(before.attributes)
    resolve.physical.update(before.physical)
    deployment.created_through_api.update(create_skipped_resources(resolve, set(skipped)))
    restore_dropped_properties(resolve)
    for logical_id, done in run_custom_resources(resolve).items():
        deployment.custom_resources[(artifact.name, logical_id)] = done
    record_in_stack(
        resolve, [k for k, r in template["Resources"].items() if r["Type"] in skipped and k in resolve.physical]
    )


def deploy_assembly(outdir: Path, hosted_zones: dict[str, tuple[str, str]] | None = None) -> MotoDeployment:
    """Bootstrap every (account, region) the assembly names, create the hosted zones it expects to exist (zone ID ->
    (account, zone name)), then create every stack in dependency order."""
    started = time.perf_counter()
    deployment = MotoDeployment(outdir=outdir)
    artifacts = read_manifest(outdir)
    for account, region in sorted({(a.account, a.region) for a in artifacts}):
        bootstrap(account, region)
    for zone_id, (account, name) in (hosted_zones or {}).items():
        with in_account(account):
            existing_hosted_zone(account, zone_id, name)
    for artifact in artifacts:
        deployment.stacks[artifact.name] = artifact
        if artifact.asset_manifest:
            deployment.assets_published += publish_assets(outdir, artifact.asset_manifest, artifact.account)
        template = json.loads((outdir / artifact.template_file).read_text(encoding="utf-8"))
        with in_account(artifact.account), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _deploy_stack(deployment, artifact, template, caught)
    deployment.seconds = time.perf_counter() - started
    return deployment


@contextlib.contextmanager
def deployed_in_moto(outdir: Path, hosted_zones: dict[str, tuple[str, str]] | None = None) -> Iterator[MotoDeployment]:
    """moto started in-process with throwaway credentials, the assembly deployed into it; stopped on exit."""
    fake = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
    before = {name: os.environ.get(name) for name in [*fake, "AWS_DEFAULT_REGION", "AWS_PROFILE"]}
    os.environ.update(fake, AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_PROFILE", None)
    try:
        with mock_aws(), patched_moto():
            yield deploy_assembly(outdir, hosted_zones)
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
