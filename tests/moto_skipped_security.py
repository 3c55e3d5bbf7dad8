"""Creators (through moto's service APIs) for the account-baseline and edge types moto 5.2.5's CloudFormation does
not model: CloudTrail (ACC-4), GuardDuty, Security Hub (NET-5), Config (CMP-1), the Config service-linked role,
ACM (NET-2), Cognito (ACC-2) and WAFv2 (NET-3). Each reads its own template properties, resolved against the stack.

`BEFORE_STACK` types are referenced by resources moto does build (the HTTPS listener names the certificate and the
user pool), so they are created first and their Ref/GetAtt values substituted in moto's copy of the template.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.botocore_reuse import harness_client

if TYPE_CHECKING:
    from tests.moto_skipped_types import Creator, Resolver

# moto 5.2.5 has no API for these at all; they stay absent from the moto account (proven on the template).
NO_MOTO_API_SECURITY = (
    "AWS::AccessAnalyzer::Analyzer",
    "AWS::SecurityHub::Standard",  # Security Hub has no BatchEnableStandards in moto
    "AWS::GuardDuty::MalwareProtectionPlan",
    "AWS::Cognito::UserPoolRiskConfigurationAttachment",
)


def _client(service: str, resolve: Resolver) -> Any:
    return harness_client(service, region_name=resolve.artifact.region)


def _certificate(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    arn = _client("acm", resolve).request_certificate(
        DomainName=properties["DomainName"],
        ValidationMethod=properties["ValidationMethod"],
        KeyAlgorithm=properties["KeyAlgorithm"],
        Tags=properties.get("Tags", []),
    )["CertificateArn"]
    resolve.physical[logical_id] = arn


def _user_pool(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    keys = (
        "Policies",
        "MfaConfiguration",
        "AliasAttributes",
        "AutoVerifiedAttributes",
        "AdminCreateUserConfig",
        "AccountRecoverySetting",
        "UserPoolAddOns",
        "DeletionProtection",
        "UsernameConfiguration",
        "UserPoolTags",
        "UserPoolTier",
    )
    pool = _client("cognito-idp", resolve).create_user_pool(
        PoolName=properties["UserPoolName"], **{key: properties[key] for key in keys if key in properties}
    )["UserPool"]
    if properties.get("EnabledMfas") == ["SOFTWARE_TOKEN_MFA"]:
        _client("cognito-idp", resolve).set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            SoftwareTokenMfaConfiguration={"Enabled": True},
            MfaConfiguration=properties["MfaConfiguration"],
        )
    resolve.physical[logical_id] = pool["Id"]
    resolve.attributes[(logical_id, "Arn")] = pool["Arn"]


def _user_pool_client(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    client = _client("cognito-idp", resolve).create_user_pool_client(**resolved)["UserPoolClient"]
    resolve.physical[logical_id] = client["ClientId"]


def _user_pool_domain(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    _client("cognito-idp", resolve).create_user_pool_domain(
        Domain=resolved["Domain"], UserPoolId=resolved["UserPoolId"]
    )
    resolve.physical[logical_id] = resolved["Domain"]


def _trail(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    trail = resolve(properties)
    cloudtrail = _client("cloudtrail", resolve)
    created = cloudtrail.create_trail(
        Name=trail["TrailName"],
        S3BucketName=trail["S3BucketName"],
        IsMultiRegionTrail=trail["IsMultiRegionTrail"],
        IncludeGlobalServiceEvents=trail["IncludeGlobalServiceEvents"],
        EnableLogFileValidation=trail["EnableLogFileValidation"],
        KmsKeyId=trail["KMSKeyId"],
        CloudWatchLogsLogGroupArn=trail["CloudWatchLogsLogGroupArn"],
        CloudWatchLogsRoleArn=trail["CloudWatchLogsRoleArn"],
    )
    cloudtrail.put_event_selectors(TrailName=trail["TrailName"], AdvancedEventSelectors=trail["AdvancedEventSelectors"])
    if trail["IsLogging"]:
        cloudtrail.start_logging(Name=trail["TrailName"])
    resolve.physical[logical_id] = trail["TrailName"]
    resolve.attributes[(logical_id, "Arn")] = created["TrailARN"]


def _detector(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    detector = _client("guardduty", resolve).create_detector(
        Enable=properties["Enable"],
        FindingPublishingFrequency=properties["FindingPublishingFrequency"],
        Features=properties["Features"],
        Tags={t["Key"]: t["Value"] for t in properties.get("Tags", [])},
    )
    resolve.physical[logical_id] = detector["DetectorId"]


def _hub(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    securityhub = _client("securityhub", resolve)
    securityhub.enable_security_hub(
        EnableDefaultStandards=properties["EnableDefaultStandards"],
        ControlFindingGenerator=properties["ControlFindingGenerator"],
        Tags=properties.get("Tags", {}),
    )
    resolve.physical[logical_id] = securityhub.describe_hub()["HubArn"]


def _event_subscription(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    _client("rds", resolve).create_event_subscription(
        SubscriptionName=resolved.get("SubscriptionName", f"{resolve.artifact.name}-{logical_id}"[:255]),
        SnsTopicArn=resolved["SnsTopicArn"],
        SourceType=resolved["SourceType"],
        EventCategories=resolved.get("EventCategories", []),
        SourceIds=resolved.get("SourceIds", []),
        Enabled=resolved.get("Enabled", True),
    )


def _service_linked_role(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    iam = harness_client("iam")
    role = iam.create_service_linked_role(
        AWSServiceName=properties["AWSServiceName"], Description=properties.get("Description", "")
    )["Role"]
    resolve.physical[logical_id] = role["RoleName"]


def _recorder(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    """CloudFormation names an unnamed recorder `default` and starts it once a delivery channel exists."""
    resolved = resolve(properties)
    group = resolved["RecordingGroup"]
    _client("config", resolve).put_configuration_recorder(
        ConfigurationRecorder={
            "name": resolved.get("Name", "default"),
            "roleARN": resolved["RoleARN"],
            "recordingGroup": {
                "allSupported": group["AllSupported"],
                "includeGlobalResourceTypes": group["IncludeGlobalResourceTypes"],
            },
        }
    )
    resolve.physical[logical_id] = resolved.get("Name", "default")


def _delivery_channel(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    config = _client("config", resolve)
    config.put_delivery_channel(
        DeliveryChannel={
            "name": resolved.get("Name", "default"),
            "s3BucketName": resolved["S3BucketName"],
            "configSnapshotDeliveryProperties": {
                "deliveryFrequency": resolved["ConfigSnapshotDeliveryProperties"]["DeliveryFrequency"]
            },
        }
    )
    for recorder in config.describe_configuration_recorders()["ConfigurationRecorders"]:
        config.start_configuration_recorder(ConfigurationRecorderName=recorder["name"])
    resolve.physical[logical_id] = resolved.get("Name", "default")


def _web_acl(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    created = _client("wafv2", resolve).create_web_acl(
        Name=resolved["Name"],
        Scope=resolved["Scope"],
        DefaultAction=resolved["DefaultAction"],
        Rules=resolved.get("Rules", []),
        VisibilityConfig=resolved["VisibilityConfig"],
        Tags=resolved.get("Tags", []),
    )["Summary"]
    resolve.physical[logical_id] = f"{created['Name']}|{created['Id']}|{resolved['Scope']}"
    resolve.attributes[(logical_id, "Arn")] = created["ARN"]


def _web_acl_association(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    _client("wafv2", resolve).associate_web_acl(WebACLArn=resolved["WebACLArn"], ResourceArn=resolved["ResourceArn"])
    resolve.physical[logical_id] = f"{resolved['WebACLArn']}|{resolved['ResourceArn']}"


def _waf_logging(logical_id: str, properties: dict[str, Any], resolve: Resolver) -> None:
    resolved = resolve(properties)
    _client("wafv2", resolve).put_logging_configuration(
        LoggingConfiguration={
            "ResourceArn": resolved["ResourceArn"],
            "LogDestinationConfigs": resolved["LogDestinationConfigs"],
        }
    )
    resolve.physical[logical_id] = resolved["ResourceArn"]


# In creation order; a resource may refer to one created earlier.
BEFORE_STACK: dict[str, Creator] = {
    "AWS::CertificateManager::Certificate": _certificate,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Cognito::UserPoolClient": _user_pool_client,
    "AWS::Cognito::UserPoolDomain": _user_pool_domain,
}
AFTER_STACK: dict[str, Creator] = {
    "AWS::RDS::EventSubscription": _event_subscription,
    "AWS::IAM::ServiceLinkedRole": _service_linked_role,
    "AWS::CloudTrail::Trail": _trail,
    "AWS::GuardDuty::Detector": _detector,
    "AWS::SecurityHub::Hub": _hub,
    "AWS::Config::ConfigurationRecorder": _recorder,
    "AWS::Config::DeliveryChannel": _delivery_channel,
    "AWS::WAFv2::WebACL": _web_acl,
    "AWS::WAFv2::WebACLAssociation": _web_acl_association,
    "AWS::WAFv2::LoggingConfiguration": _waf_logging,
}
