"""The CDK context every app of this project is built with: feature flags and the CLI's defaults (CMP-1).

Plain data, read by `app.new_app` and by the cell pipeline's stages (stacks/cells.py), so the standalone stacks and
their stage twins synthesize alike.
"""

from __future__ import annotations

# CDK feature flags live here, not in cdk.json, so `cdk synth` and the tests' in-process synth build the same
# templates (cdk.json context reaches only apps started by the CLI).
CDK_FEATURE_FLAGS: dict[str, object] = {
    "@aws-cdk/core:checkSecretUsage": True,
    "@aws-cdk/core:target-partitions": ["aws"],
    "@aws-cdk/aws-iam:minimizePolicies": True,
    "@aws-cdk/core:validateSnapshotRemovalPolicy": True,
    "@aws-cdk/aws-ec2:restrictDefaultSecurityGroup": True,
    "@aws-cdk/aws-kms:aliasNameRef": True,
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    "@aws-cdk/aws-rds:databaseProxyUniqueResourceName": True,
    "@aws-cdk/aws-kms:reduceCrossAccountRegionPolicyScope": True,
    "@aws-cdk/aws-ec2:ebsDefaultGp3Volume": True,
    "@aws-cdk/aws-s3:createDefaultLoggingPolicy": True,
    "@aws-cdk/aws-iam:standardizedServicePrincipals": True,
    "@aws-cdk/core:enablePartitionLiterals": True,
    "@aws-cdk/aws-s3:publicAccessBlockedByDefault": True,
    # Cross-stack references stay CloudFormation exports, which protect a producer from deleting what is used.
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
}


# What the CDK CLI sets by default, so an in-process synth (the tests) writes the same templates as `cdk synth`:
# each resource's construct path in its Metadata, which lets an auditor trace a resource back to the code.
CLI_DEFAULT_CONTEXT: dict[str, object] = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}
# What a cell pipeline's stage takes from the app's context (stacks/cells.py `stage_context`).
STAGE_CONTEXT_KEYS: tuple[str, ...] = (*CDK_FEATURE_FLAGS, *CLI_DEFAULT_CONTEXT, "aws:cdk:bundling-stacks")
