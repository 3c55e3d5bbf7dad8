"""Account-wide defaults that CloudFormation cannot set natively (ENC-3, ENC-2; Security Hub EC2.7, S3.1).

- EBS encryption by default (per region): every new volume and snapshot copy is encrypted, even one made outside
  this app. Kept when the stack is deleted (no call on delete): deleting a baseline must not weaken the account.
- S3 account-level Block Public Access (account-wide, home region only): no bucket of the account can become
  public, whatever its own settings. Also kept on delete.
CloudFormation has no `AWS::EC2::EBSEncryptionByDefault` or `AWS::S3::AccountPublicAccessBlock` (checked in
cfn-lint's resource schemas), so each is one scoped `AwsCustomResource` call.
"""

from __future__ import annotations

from typing import Final

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from constructs import Construct
from constructs.account_sdk_call import AccountSdkCalls

EBS_ACTIONS: Final = ("ec2:EnableEbsEncryptionByDefault",)
S3_ACTIONS: Final = ("s3:PutAccountPublicAccessBlock",)
BLOCK_ALL: Final = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


class EbsEncryptionByDefault(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, calls: AccountSdkCalls) -> None:
        super().__init__(scope, construct_id)
        self.resource = calls.call(
            self,
            "Resource",
            service="EC2",
            action="enableEbsEncryptionByDefault",
            parameters=None,
            physical_id="ebs-encryption-by-default",
            # An account-and-region setting: the action takes no resource ARN.
            statements=[iam.PolicyStatement(actions=list(EBS_ACTIONS), resources=["*"])],
        )


class S3AccountPublicAccessBlock(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, calls: AccountSdkCalls) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.resource = calls.call(
            self,
            "Resource",
            service="S3Control",
            action="putPublicAccessBlock",
            parameters={"AccountId": stack.account, "PublicAccessBlockConfiguration": BLOCK_ALL},
            physical_id="s3-account-public-access-block",
            statements=[iam.PolicyStatement(actions=list(S3_ACTIONS), resources=["*"])],
        )
