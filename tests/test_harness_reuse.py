"""The test harness's shortcuts change no answer: moto reads a JSON template as it would have, symmetric KMS keys
still encrypt while sharing their unused signing key, and clients built from a rule set parsed once resolve the
same endpoints as botocore does (tests/moto_workarounds.py 6 and 7, tests/botocore_reuse.py)."""

from __future__ import annotations

import boto3
from moto import mock_aws
from moto.cloudformation.models import Stack
from moto.kms import models as kms_models

from tests.conftest import PROD, Synthesized
from tests.moto_workarounds import patched_moto


def test_a_json_template_parses_to_the_document_moto_yaml_parser_gives(synthesized: Synthesized) -> None:
    body = (synthesized.outdir / f"{PROD}-network.template.json").read_text(encoding="utf-8")
    as_moto_would = Stack.parse_template(body)
    with patched_moto():
        assert Stack.parse_template(body) == as_moto_would
        assert Stack.parse_template("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n") == {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}
        }


def test_symmetric_keys_share_one_signing_key_and_still_encrypt_asymmetric_keys_get_their_own() -> None:
    with mock_aws(), patched_moto():
        kms = boto3.client("kms", region_name="us-east-1")
        first, second = (kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2))
        signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        keys = kms_models.kms_backends["123456789012"]["us-east-1"].keys
        assert keys[first].private_key is keys[second].private_key
        assert keys[signing].private_key is not keys[first].private_key
        blob = kms.encrypt(KeyId=first, Plaintext=b"secret")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
        assert kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]


def test_clients_share_one_parsed_rule_set_and_resolve_the_regional_endpoints() -> None:
    east, west = (boto3.Session().client("s3", region_name=r) for r in ("us-east-1", "us-west-2"))
    assert east._ruleset_resolver._provider.ruleset is west._ruleset_resolver._provider.ruleset
    assert west.meta.endpoint_url == "https://s3.us-west-2.amazonaws.com"
    assert boto3.Session().client("kms", region_name="eu-west-1").meta.endpoint_url == (
        "https://kms.eu-west-1.amazonaws.com"
    )
