"""Evidence rules on the real templates: the example app meets each control, and a template copy with the
evidence removed or broken makes the control "not met" (each rule can fail)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from evidence_report.assembly import Assembly
from tests.conftest import Synthesized
from tests.test_evidence_support import (
    DEV,
    PROD,
    Template,
    changed,
    delete,
    environment_result,
    logical_id,
    moved,
    of_type,
    one,
    real_assembly,
    rows,
    status,
)

NETWORK, DATA, DATA_DR = f"{PROD}-network", f"{PROD}-data", f"{PROD}-data-dr"
BASTION, BACKUP, EDGE = f"{PROD}-bastion", f"{PROD}-backup", f"{PROD}-edge"


@pytest.fixture(scope="module")
def assembly(synthesized: Synthesized) -> Assembly:
    return real_assembly(synthesized)


BUILT = ["ACC-1", "ACC-2", "ACC-3", "ACC-8", "NET-1", "NET-2", "NET-3", "ENC-1", "ENC-2", "ENC-3", "ENC-4"]
BUILT += ["BAK-1", "BAK-2", "BAK-3", "BAK-4", "BAK-5", "BAK-6", "LOC-1", "CMP-1"]


@pytest.mark.parametrize("control", BUILT)
def test_cmp1_example_app_meets_every_built_control_in_both_environments(assembly: Assembly, control: str) -> None:
    assert status(assembly, control, PROD) == "met"
    assert status(assembly, control, DEV) == "met"


def test_acc1_evidence_not_met_when_two_environments_share_an_address_range(assembly: Assembly) -> None:
    def same_range(t: Template) -> None:
        one(t, "AWS::EC2::VPC")["Properties"]["CidrBlock"] = "10.20.0.0/20"  # globex-dev's range

    broken = changed(assembly, NETWORK, same_range)
    assert status(broken, "ACC-1", PROD) == "not met"
    assert status(broken, "ACC-1", DEV) == "not met"


def test_acc2_evidence_not_met_without_the_key_pair_alert(assembly: Assembly) -> None:
    assert delete_in(assembly, BASTION, "AWS::Events::Rule", "KeyPairApi", "ACC-2") == "not met"


def test_acc2_evidence_not_met_with_a_weak_operator_key(assembly: Assembly) -> None:
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    material = weak.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()

    def weak_key(t: Template) -> None:
        one(t, "AWS::EC2::KeyPair", "bob")["Properties"]["PublicKeyMaterial"] = material

    assert status(changed(assembly, BASTION, weak_key), "ACC-2") == "not met"


def test_acc2_evidence_not_met_when_ssh_is_open_to_the_internet(assembly: Assembly) -> None:
    def open_ssh(t: Template) -> None:
        one(t, "AWS::EC2::SecurityGroup", "Bastion")["Properties"]["SecurityGroupIngress"][0]["CidrIp"] = "0.0.0.0/0"

    assert status(changed(assembly, NETWORK, open_ssh), "ACC-2") == "not met"


def test_acc3_evidence_not_met_when_a_job_role_needs_no_mfa(assembly: Assembly) -> None:
    def no_mfa(t: Template) -> None:
        del one(t, "AWS::IAM::Role", "Operator")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]

    assert status(changed(assembly, BASTION, no_mfa), "ACC-3") == "not met"


def test_acc4_evidence_not_met_without_the_flow_log(assembly: Assembly) -> None:
    assert delete_in(assembly, NETWORK, "AWS::EC2::FlowLog", "", "ACC-4") == "not met"


def test_acc5_evidence_not_met_without_the_ssh_idle_timeout(assembly: Assembly) -> None:
    def no_timeout(t: Template) -> None:
        properties = one(t, "AWS::EC2::Instance")["Properties"]
        script = properties["UserData"]["Fn::Base64"]
        properties["UserData"]["Fn::Base64"] = script.replace("ClientAliveInterval", "#ClientAlive")

    assert status(changed(assembly, BASTION, no_timeout), "ACC-5") == "not met"


def test_acc5_evidence_not_met_without_the_idle_shell_timeout(assembly: Assembly) -> None:
    def no_tmout(t: Template) -> None:
        properties = one(t, "AWS::EC2::Instance")["Properties"]
        script = properties["UserData"]["Fn::Base64"]
        properties["UserData"]["Fn::Base64"] = script.replace("readonly TMOUT", "# TMOUT may change")

    ssh_rows = [r for r in rows(assembly, "ACC-5") if r.property_path == "UserData (profile.d)"]
    assert [r.value for r in ssh_rows] == ["TMOUT=900, readonly"]
    assert status(changed(assembly, BASTION, no_tmout), "ACC-5") == "not met"


def test_acc8_evidence_not_met_when_an_iam_user_is_created(assembly: Assembly) -> None:
    def add_user(t: Template) -> None:
        t["Resources"]["Person"] = {"Type": "AWS::IAM::User", "Properties": {"UserName": "alice"}}

    assert status(changed(assembly, BASTION, add_user), "ACC-8") == "not met"


def test_net1_evidence_not_met_when_a_tiers_acl_is_removed(assembly: Assembly) -> None:
    def no_data_acl(t: Template) -> None:
        assert delete(t, "AWS::EC2::SubnetNetworkAclAssociation", "FirewallDataAcl") == 3
        assert delete(t, "AWS::EC2::NetworkAcl", "FirewallDataAcl") == 1

    assert status(changed(assembly, NETWORK, no_data_acl), "NET-1") == "not met"


def test_net1_evidence_not_met_when_the_data_tier_gets_a_route_out(assembly: Assembly) -> None:
    def route_out(t: Template) -> None:
        table = next(lid for lid in of_type(t, "AWS::EC2::RouteTable") if "DataSubnet1" in lid)
        t["Resources"]["DataOut"] = {
            "Type": "AWS::EC2::Route",
            "Properties": {"DestinationCidrBlock": "0.0.0.0/0", "RouteTableId": {"Ref": table}, "GatewayId": "igw-1"},
        }

    assert status(changed(assembly, NETWORK, route_out), "NET-1") == "not met"


def test_net2_evidence_not_met_without_iam_database_authentication(assembly: Assembly) -> None:
    def no_iam_auth(t: Template) -> None:
        one(t, "AWS::RDS::DBInstance")["Properties"]["EnableIAMDatabaseAuthentication"] = False

    assert status(changed(assembly, DATA, no_iam_auth), "NET-2") == "not met"


def test_net3_evidence_not_met_when_a_security_group_admits_the_internet(assembly: Assembly) -> None:
    def open_database(t: Template) -> None:
        group = one(t, "AWS::EC2::SecurityGroup", "Database")["Properties"]
        group["SecurityGroupIngress"] = [{"CidrIp": "0.0.0.0/0", "FromPort": 5433, "ToPort": 5433, "IpProtocol": "tcp"}]

    broken = changed(assembly, NETWORK, open_database)
    assert status(broken, "NET-3") == "not met"
    assert status(broken, "NET-3", DEV) == "met", "the other environment is untouched (its edge part does not apply)"


def test_net4_evidence_not_met_without_the_failed_login_alarm(assembly: Assembly) -> None:
    assert delete_in(assembly, BASTION, "AWS::CloudWatch::Alarm", "", "NET-4") == "not met"


def test_enc1_evidence_not_met_when_a_bucket_accepts_plain_http(assembly: Assembly) -> None:
    def plain_http(t: Template) -> None:
        policy = one(t, "AWS::S3::BucketPolicy", "DataBucket")["Properties"]["PolicyDocument"]
        policy["Statement"] = [s for s in policy["Statement"] if "aws:SecureTransport" not in str(s)]

    assert status(changed(assembly, DATA, plain_http), "ENC-1") == "not met"


def test_enc1_evidence_not_met_when_the_database_allows_plain_connections(assembly: Assembly) -> None:
    def no_tls(t: Template) -> None:
        one(t, "AWS::RDS::DBParameterGroup")["Properties"]["Parameters"]["rds.force_ssl"] = "0"

    assert status(changed(assembly, DATA, no_tls), "ENC-1") == "not met"


def test_enc2_evidence_not_met_when_the_data_bucket_uses_s3_managed_keys(assembly: Assembly) -> None:
    def sse_s3(t: Template) -> None:
        rule = one(t, "AWS::S3::Bucket", "DataBucket")["Properties"]["BucketEncryption"]
        rule["ServerSideEncryptionConfiguration"] = [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]

    assert status(changed(assembly, DATA, sse_s3), "ENC-2") == "not met"


def test_enc2_enc3_load_balancer_log_bucket_is_a_log_target_met_another_way(assembly: Assembly) -> None:
    """The ALB access-log bucket holds logs, not data; ALB log delivery takes SSE-S3 only, and its acknowledgement
    says ENC-3 is met another way: ENC-2 lists it apart, ENC-3 accepts it and quotes the acknowledgement."""
    enc2 = [r for r in rows(assembly, "ENC-2") if "EdgeLogs" in r.logical_id and "Access" not in r.logical_id]
    assert [r.property_path for r in enc2] == ["(log-delivery target)"]
    assert "not a data bucket: receives load balancer access logs" in enc2[0].why
    enc3 = [r for r in rows(assembly, "ENC-3") if "EdgeLogs" in r.logical_id and "Access" not in r.logical_id]
    assert len(enc3) == 1
    assert enc3[0].value == "AES256"
    assert "acknowledged as ENC-3 met another way (" in enc3[0].why
    assert "Elastic Load Balancing access logs" in enc3[0].why


def test_enc3_evidence_not_met_when_the_log_bucket_loses_its_acknowledgement(assembly: Assembly) -> None:
    def unacknowledged(t: Template) -> None:
        del t["Resources"][logical_id(t, "AWS::S3::Bucket", "EdgeLogsA")]["Metadata"]["cdk_nag"]

    assert status(changed(assembly, EDGE, unacknowledged), "ENC-3") == "not met"


def test_enc2_enc3_evidence_not_met_when_the_sse_s3_bucket_no_longer_receives_logs(assembly: Assembly) -> None:
    def no_access_logs(t: Template) -> None:
        balancer = one(t, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]
        balancer["LoadBalancerAttributes"] = [
            a for a in balancer["LoadBalancerAttributes"] if a["Key"] != "access_logs.s3.bucket"
        ]

    broken = changed(assembly, EDGE, no_access_logs)
    assert status(broken, "ENC-2") == "not met", "an SSE-S3 bucket that receives no logs is a data bucket"
    assert status(broken, "ENC-3") == "not met", "its acknowledgement no longer describes it"


def test_enc3_probe_an_acknowledgement_alone_does_not_excuse_a_data_bucket(assembly: Assembly) -> None:
    edge = next(s for s in assembly.stacks if s.name == EDGE).template
    forged = edge["Resources"][logical_id(edge, "AWS::S3::Bucket", "EdgeLogsA")]["Metadata"]["cdk_nag"]

    def sse_s3_with_forged_acknowledgement(t: Template) -> None:
        bucket = one(t, "AWS::S3::Bucket", "DataBucket")
        bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"] = [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
        bucket["Metadata"]["cdk_nag"] = forged

    assert status(changed(assembly, DATA, sse_s3_with_forged_acknowledgement), "ENC-3") == "not met"


def test_enc3_evidence_not_met_in_dev_when_a_log_group_is_unencrypted(assembly: Assembly) -> None:
    def plain_logs(t: Template) -> None:
        del one(t, "AWS::Logs::LogGroup")["Properties"]["KmsKeyId"]

    broken = changed(assembly, f"{DEV}-network", plain_logs)
    assert status(broken, "ENC-3", DEV) == "not met", "encryption at rest is promised in every stage"
    assert status(broken, "ENC-3", PROD) == "met"


def test_enc3_evidence_not_met_when_a_key_does_not_rotate(assembly: Assembly) -> None:
    def no_rotation(t: Template) -> None:
        one(t, "AWS::KMS::Key", "Vault")["Properties"]["EnableKeyRotation"] = False

    assert status(changed(assembly, f"{PROD}-backup-dr", no_rotation), "ENC-3") == "not met"


def test_enc4_evidence_not_met_when_a_password_literal_is_in_a_template(assembly: Assembly) -> None:
    def literal(t: Template) -> None:
        one(t, "AWS::RDS::DBInstance")["Properties"]["MasterUserPassword"] = "correct-horse-battery"

    assert status(changed(assembly, DATA, literal), "ENC-4") == "not met"


def test_enc4_probe_a_client_secret_literal_on_the_real_edge_is_caught(assembly: Assembly) -> None:
    def literal(t: Template) -> None:
        one(t, "AWS::Cognito::UserPoolClient")["Properties"]["ClientSecret"] = "s3cr3t-value"

    assert status(assembly, "ENC-4") == "met", "TokenValidityUnits names time units, not tokens"
    assert status(changed(assembly, EDGE, literal), "ENC-4") == "not met"


def test_bak1_evidence_not_met_when_the_bastion_loses_its_backup_tag(assembly: Assembly) -> None:
    def untagged(t: Template) -> None:
        instance = one(t, "AWS::EC2::Instance")["Properties"]
        instance["Tags"] = [tag for tag in instance["Tags"] if tag["Key"] != "backup-plan"]

    assert status(changed(assembly, BASTION, untagged), "BAK-1") == "not met"


def test_bak2_evidence_not_met_without_continuous_backup(assembly: Assembly) -> None:
    def snapshots_only(t: Template) -> None:
        one(t, "AWS::Backup::BackupPlan", "Continuous")["Properties"]["BackupPlan"]["BackupPlanRule"][0][
            "EnableContinuousBackup"
        ] = False

    assert status(changed(assembly, BACKUP, snapshots_only), "BAK-2") == "not met"


def test_bak3_evidence_not_met_without_the_biweekly_rule(assembly: Assembly) -> None:
    def three_tiers(t: Template) -> None:
        plan = one(t, "AWS::Backup::BackupPlan", "Tiered")["Properties"]["BackupPlan"]
        plan["BackupPlanRule"] = [r for r in plan["BackupPlanRule"] if r["RuleName"] != "biweekly"]

    assert status(changed(assembly, BACKUP, three_tiers), "BAK-3") == "not met"


def test_bak3_evidence_not_met_when_monthly_keeps_less_than_biweekly(assembly: Assembly) -> None:
    def shrinking(t: Template) -> None:
        plan = one(t, "AWS::Backup::BackupPlan", "Tiered")["Properties"]["BackupPlan"]
        monthly = next(r for r in plan["BackupPlanRule"] if r["RuleName"] == "monthly")
        monthly["Lifecycle"] = {"DeleteAfterDays": 100}

    assert status(changed(assembly, BACKUP, shrinking), "BAK-3") == "not met"


def test_bak3_evidence_not_met_when_the_biweekly_days_leave_a_gap_over_17_days(assembly: Assembly) -> None:
    def sparse(t: Template) -> None:
        plan = one(t, "AWS::Backup::BackupPlan", "Tiered")["Properties"]["BackupPlan"]
        next(r for r in plan["BackupPlanRule"] if r["RuleName"] == "biweekly")["ScheduleExpression"] = (
            "cron(0 5 1,5 * ? *)"
        )

    assert status(changed(assembly, BACKUP, sparse), "BAK-3") == "not met"


def test_bak4_evidence_not_met_without_a_database_restore_test(assembly: Assembly) -> None:
    assert delete_in(assembly, BACKUP, "AWS::Backup::RestoreTestingSelection", "RestoreDatabase", "BAK-4") == "not met"


def test_bak5_evidence_not_met_when_a_tier_stops_copying_to_the_dr_region(assembly: Assembly) -> None:
    def no_copy(t: Template) -> None:
        plan = one(t, "AWS::Backup::BackupPlan", "Tiered")["Properties"]["BackupPlan"]
        del next(r for r in plan["BackupPlanRule"] if r["RuleName"] == "weekly")["CopyActions"]

    assert status(changed(assembly, BACKUP, no_copy), "BAK-5") == "not met"


def test_bak5_evidence_not_met_without_database_backup_replication(assembly: Assembly) -> None:
    def no_replication(t: Template) -> None:
        del one(t, "AWS::RDS::DBInstance")["Properties"]["AutomaticBackupReplicationRegion"]

    assert status(changed(assembly, DATA, no_replication), "BAK-5") == "not met"


def test_bak6_evidence_not_met_without_the_restore_testing_plan(assembly: Assembly) -> None:
    """The DR region's plan (S3 copies) remains, but no plan rebuilds a server or restores the database."""
    assert delete_in(assembly, BACKUP, "AWS::Backup::RestoreTestingPlan", "", "BAK-6") == "not met"


def test_bak6_evidence_lists_both_regions_restore_tests(assembly: Assembly) -> None:
    tested = {(r.stack, r.value) for r in rows(assembly, "BAK-6") if r.property_path == "ProtectedResourceType"}
    assert tested == {(BACKUP, "RDS"), (BACKUP, "EC2"), (f"{PROD}-backup-dr", "S3")}


def test_bak6_evidence_not_met_when_continuous_recovery_points_are_not_restore_tested(assembly: Assembly) -> None:
    def snapshots_only(t: Template) -> None:
        plan = one(t, "AWS::Backup::RestoreTestingPlan")["Properties"]["RecoveryPointSelection"]
        plan["RecoveryPointTypes"] = ["SNAPSHOT"]

    assert status(changed(assembly, BACKUP, snapshots_only), "BAK-6") == "not met"


def test_bak6_evidence_not_met_without_the_server_rebuild_test(assembly: Assembly) -> None:
    assert delete_in(assembly, BACKUP, "AWS::Backup::RestoreTestingSelection", "RestoreBastion", "BAK-6") == "not met"


def test_loc1_evidence_not_met_when_the_database_is_single_az(assembly: Assembly) -> None:
    def single_az(t: Template) -> None:
        one(t, "AWS::RDS::DBInstance")["Properties"]["MultiAZ"] = False

    broken = changed(assembly, DATA, single_az)
    assert status(broken, "LOC-1") == "not met"
    assert status(broken, "HA-1") == "not met"


def test_loc1_evidence_not_met_when_a_primary_stack_leaves_us_east_1(assembly: Assembly) -> None:
    assert status(moved(assembly, DATA, region="eu-west-1"), "LOC-1") == "not met"
    assert status(moved(assembly, DATA_DR, region="eu-west-1"), "LOC-1") == "not met", "DR stays in the US"


def test_ha1_evidence_not_met_with_one_nat_gateway_in_prod(assembly: Assembly) -> None:
    def one_nat(t: Template) -> None:
        assert (
            delete(t, "AWS::EC2::NatGateway", "PublicSubnet2") + delete(t, "AWS::EC2::NatGateway", "PublicSubnet3") == 2
        )

    assert status(assembly, "HA-1") == "met"
    assert status(changed(assembly, NETWORK, one_nat), "HA-1") == "not met"


def test_ha1_binds_production_only(assembly: Assembly) -> None:
    result = environment_result(assembly, "HA-1", DEV)
    assert result.status == "not applicable", "dev may run one NAT gateway (nat_gateways)"
    assert result.reason is not None
    assert "nat_gateways" in result.reason, "the report shows why"


def test_cmp1_evidence_not_met_when_a_plugin_failed_or_no_report_exists(assembly: Assembly) -> None:
    failed = {
        "pluginReports": [{"pluginName": "AwsSolutions", "conclusion": "failure", "violations": [{"ruleName": "X"}]}]
    }
    assert status(dataclasses.replace(assembly, validation_report=failed), "CMP-1") == "not met"
    assert status(dataclasses.replace(assembly, validation_report=None), "CMP-1") == "not met"


def delete_in(assembly: Assembly, stack: str, resource_type: str, contains: str, control: str) -> str:
    def remove(t: Template) -> None:
        assert delete(t, resource_type, contains) >= 1

    return status(changed(assembly, stack, remove), control)


def acc3_trust_rows(assembly: Assembly) -> dict[str, dict[str, object]]:
    """Logical ID -> the trust row's value, for each role people assume."""
    found = [r for r in rows(assembly, "ACC-3") if r.property_path.startswith("AssumeRolePolicyDocument")]
    assert found
    return {r.logical_id: json.loads(r.value) for r in found}


def test_acc3_trust_row_shows_the_principal_arn_condition_that_narrows_the_account(assembly: Assembly) -> None:
    """An auditor reading `principal: arn:aws:iam::<account>:root` alone reads "trusts the whole account": the row
    shows the aws:PrincipalArn condition that narrows a job role to the configured roles; the account's support role
    (ACC-8, CIS 1.17), which no condition narrows, says so."""
    values = acc3_trust_rows(assembly)
    job_roles = {lid: value for lid, value in values.items() if lid.startswith("JobRoles")}
    assert len(job_roles) == 2
    for value in values.values():
        assert str(value["principal"]).endswith(":root")
    assert sorted(str(v["aws:PrincipalArn (ArnEquals)"]) for v in job_roles.values()) == [
        "['arn:aws:iam::111122223333:role/ExternalAuditors']",
        "['arn:aws:iam::111122223333:role/OpsEngineers']",
    ]
    for lid, value in values.items():
        if lid not in job_roles:
            assert value["aws:PrincipalArn"] == "not narrowed: any principal of the account, with MFA", lid


def test_acc3_trust_row_says_so_when_nothing_narrows_the_account(assembly: Assembly) -> None:
    def whole_account(t: Template) -> None:
        statement = one(t, "AWS::IAM::Role", "Operator")["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
        del statement["Condition"]["ArnEquals"]

    values = acc3_trust_rows(changed(assembly, BASTION, whole_account))
    (operator,) = [value for lid, value in values.items() if lid.startswith("JobRolesOperator")]
    assert operator["aws:PrincipalArn"] == "not narrowed: any principal of the account, with MFA"
