"""The web application firewall on the edge (NET-3, NET-4): a regional WAFv2 web ACL on the load balancer.

- AWS managed rule groups: core rule set, known bad inputs, Amazon IP reputation list, SQL injection (NET-3).
- A rate-based rule that blocks a client IP above `rate_limit` requests per 5 minutes (NET-4, denial of service and
  brute force).
- Every request's verdict is logged to a CloudWatch log group under a customer-managed key; WAF requires the group's
  name to start with `aws-waf-logs-` (WAF developer guide, "CloudWatch Logs log group").
- An alarm notifies the alert topic when blocked requests spike (NET-4: attempts are detected, not only stopped).
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2

from config.limits import WAF_RATE_WINDOW_SECONDS
from constructs import Construct
from constructs.named_log_group import named_log_group

MANAGED_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesSQLiRuleSet",
)
RATE_RULE = "RateLimitPerClientIp"
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"


def _visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


class WebFirewall(Construct):
    """Exposes `web_acl`, `association`, `log_group`, `logging` and `blocked_requests_alarm`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        resource_arn: str,
        rate_limit: int,
        log_key: kms.IKey,
        log_retention: logs.RetentionDays,
        alert_topic: sns.ITopic,
        blocked_requests_threshold: int,
    ) -> None:
        super().__init__(scope, construct_id)
        rules = [
            wafv2.CfnWebACL.RuleProperty(
                name=group,
                priority=priority,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=group
                    )
                ),
                visibility_config=_visibility(group),
            )
            for priority, group in enumerate(MANAGED_RULE_GROUPS, start=1)
        ]
        rules.insert(
            0,
            wafv2.CfnWebACL.RuleProperty(
                name=RATE_RULE,
                priority=0,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                        aggregate_key_type="IP", limit=rate_limit, evaluation_window_sec=WAF_RATE_WINDOW_SECONDS
                    )
                ),
                visibility_config=_visibility(RATE_RULE),
            ),
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=name,
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility(name),
            rules=rules,
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=resource_arn, web_acl_arn=self.web_acl.attr_arn
        )
        self.log_group = named_log_group(
            self, "Logs", name=f"{WAF_LOG_GROUP_PREFIX}{name}", key=log_key, retention=log_retention
        )
        self.logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            # WAF wants the log group's ARN without CDK's trailing `:*`.
            log_destination_configs=[
                cdk.Stack.of(self).format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name=self.log_group.log_group_name,
                    arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
        self.blocked_requests_alarm = cloudwatch.Alarm(
            self,
            "BlockedRequestsAlarm",
            alarm_description=(
                f"NET-4: the {name} web ACL blocked {blocked_requests_threshold} or more requests in 5 minutes "
                "(rate limit, IP reputation, or an attack signature)"
            ),
            metric=cloudwatch.Metric(
                namespace="AWS/WAFV2",
                metric_name="BlockedRequests",
                dimensions_map={"WebACL": name, "Region": cdk.Stack.of(self).region, "Rule": "ALL"},
                statistic=cloudwatch.Stats.SUM,
                period=cdk.Duration.minutes(5),
            ),
            threshold=blocked_requests_threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.blocked_requests_alarm.add_alarm_action(cloudwatch_actions.SnsAction(alert_topic))
