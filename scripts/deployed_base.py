#!/usr/bin/env python3
"""The deployed side of the pipeline's danger verdict before prod (CMP-1).

python scripts/deployed_base.py --assembly cdk.out --stage assembly-main-acme-prod [...] --base base.out --head head.out

Reads the prod stages' stacks from the gated cloud assembly, fetches each stack's deployed template (the original
template, `GetTemplate` with `TemplateStage=Original`) through the bootstrap lookup role of its account and region
(`cdk-hnb659fds-lookup-role-<account>-<region>`, read-only), and writes two cloud assemblies `python -m
diff_verdict --base base.out --head head.out` compares: base.out (what is deployed; a stack not deployed yet is
absent, so everything in it is new) and head.out (the prod stages of this change). One progress line per stack.
Exit 3 with one line when the assembly or a stage is missing, or a role cannot be assumed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

LOOKUP_ROLE = "arn:aws:iam::{account}:role/cdk-hnb659fds-lookup-role-{account}-{region}"
EXIT_BAD_INPUT = 3
_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})


@dataclass(frozen=True)
class StageStack:
    name: str
    account: str
    region: str
    environment: str


def stage_stacks(stage_dir: Path) -> list[StageStack]:
    manifest = json.loads((stage_dir / "manifest.json").read_text(encoding="utf-8"))
    stacks = []
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        environment = str(artifact.get("environment", ""))
        account, region = environment.removeprefix("aws://").split("/", 1)
        name = (artifact.get("properties") or {}).get("stackName") or artifact_id
        stacks.append(StageStack(name=name, account=account, region=region, environment=environment))
    return stacks


def deployed_template(stack: StageStack, session: boto3.Session) -> dict[str, Any] | None:
    """The template CloudFormation holds for the stack, read through the lookup role; None if not deployed."""
    role = LOOKUP_ROLE.format(account=stack.account, region=stack.region)
    credentials = session.client("sts", config=_RETRIES).assume_role(
        RoleArn=role, RoleSessionName=f"danger-verdict-{stack.account}"
    )["Credentials"]
    cloudformation = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=stack.region,
    ).client("cloudformation", config=_RETRIES, endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))
    try:
        body = cloudformation.get_template(StackName=stack.name, TemplateStage="Original")["TemplateBody"]
    except ClientError as error:
        if "does not exist" in str(error):
            return None
        raise
    return body if isinstance(body, dict) else json.loads(body)


def write_assemblies(assembly: Path, stages: list[str], base: Path, head: Path, session: boto3.Session) -> int:
    base.mkdir(parents=True, exist_ok=True)
    head.mkdir(parents=True, exist_ok=True)
    base_artifacts: dict[str, Any] = {}
    head_artifacts: dict[str, Any] = {}
    deployed = 0
    for stage in stages:
        stage_dir = assembly / stage
        head_artifacts[stage] = {
            "type": "cdk:cloud-assembly",
            "properties": {"directoryName": os.path.relpath(stage_dir, head), "displayName": stage},
        }
        for stack in stage_stacks(stage_dir):
            template = deployed_template(stack, session)
            state = "not deployed yet (new)" if template is None else "deployed template read"
            print(f"deployed base: {stack.name} ({stack.account}/{stack.region}): {state}", file=sys.stderr)
            if template is None:
                continue
            deployed += 1
            (base / f"{stack.name}.template.json").write_text(json.dumps(template, indent=1), encoding="utf-8")
            base_artifacts[stack.name] = {
                "type": "aws:cloudformation:stack",
                "environment": stack.environment,
                "properties": {"templateFile": f"{stack.name}.template.json", "stackName": stack.name},
            }
    for folder, artifacts in ((base, base_artifacts), (head, head_artifacts)):
        manifest = {"version": "55.0.0", "artifacts": artifacts}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return deployed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/deployed_base.py", description=__doc__.split("\n\n")[1])
    parser.add_argument("--assembly", type=Path, required=True, help="the gated cloud assembly (cdk.out)")
    parser.add_argument("--stage", action="append", required=True, help="a prod stage's folder in the assembly")
    parser.add_argument("--base", type=Path, required=True, help="where the deployed templates' assembly goes")
    parser.add_argument("--head", type=Path, required=True, help="where the prod stages' assembly goes")
    args = parser.parse_args(argv)
    missing = [stage for stage in args.stage if not (args.assembly / stage / "manifest.json").is_file()]
    if missing:
        print(
            f"deployed base: {', '.join(missing)}: no such stage in {args.assembly}; synthesize the cell",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    try:
        deployed = write_assemblies(args.assembly, args.stage, args.base, args.head, boto3.Session())
    except (ClientError, BotoCoreError) as error:
        print(
            f"deployed base: cannot read the deployed templates ({error}); is the account bootstrapped with "
            "--trust-for-lookup of the pipeline account?",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    print(
        f"deployed base: {deployed} deployed stack(s) in {args.base}, the prod stages in {args.head}", file=sys.stderr
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
