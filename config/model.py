"""The typed, validated configuration of every isolated environment (one per tenant and stage).

Everything a stack needs comes from here; nothing deeper reads the environment. Each check names
the control it protects, and each failure is raised as a `FieldValueError` so the loader can say
exactly which field, which value and what is allowed.
"""

from __future__ import annotations

import ipaddress
import itertools
import urllib.parse
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    IPvAnyNetwork,
    field_validator,
    model_validator,
)

from config import limits, patterns
from config.networks import as_ipv4_network, as_network, is_rfc1918
from config.pipeline import PipelineSettings, cell_problem
from config.ssh_key import SshPublicKey
from config.system_accounts import is_system_account
from config.windows import (
    WEEKDAYS,
    backup_start_blocked_by,
    daily_window_minutes,
    every_day,
    weekly_window,
)


class FieldValueError(ValueError):
    """A rejected value: `field` is relative to the model that raised it."""

    def __init__(self, field: str, value: Any, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.value = value
        self.problem = problem


def _one_of(allowed: tuple[int, ...], what: str) -> AfterValidator:
    def check(value: int) -> int:
        if value not in allowed:
            raise ValueError(f"must be one of {what}: {', '.join(map(str, allowed))}")
        return value

    return AfterValidator(check)


LogRetentionDays = Annotated[int, _one_of(limits.LOG_RETENTION_DAYS, "CloudWatch Logs' retention values")]
HourMinute = Annotated[str, Field(pattern=patterns.HOUR_MINUTE)]
Slug = Annotated[str, Field(pattern=patterns.SLUG)]
IamPrincipalArn = Annotated[str, Field(pattern=patterns.IAM_PRINCIPAL_ARN)]
AccountId = Annotated[str, Field(pattern=patterns.ACCOUNT_ID)]
Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]


class StrictModel(BaseModel):
    """Unknown keys are typos: reject them rather than silently ignore them. Strict types: a value of the wrong type
    is refused, never coerced (`nat_gateways = true` is not 1, `retention_days = 35.0` is not 35)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class DatabaseSettings(StrictModel):
    """RDS PostgreSQL sizing and recovery settings (BAK-2, BAK-4, HA-1)."""

    engine_version: Literal["16", "17"] = "17"
    # NET-3: not PostgreSQL's well-known 5432 (AwsSolutions-RDS11, Control Tower CT.RDS.PR.23).
    port: int = Field(5433, ge=1150, le=65535)
    instance_class: str = Field("db.m7g.large", pattern=patterns.DB_INSTANCE_CLASS)
    allocated_storage_gib: int = Field(100, ge=20, le=65536)
    max_allocated_storage_gib: int = Field(500, ge=20, le=65536)
    backup_retention_days: int = Field(
        limits.RDS_BACKUP_RETENTION_MAX, ge=limits.RDS_BACKUP_RETENTION_MIN, le=limits.RDS_BACKUP_RETENTION_MAX
    )
    preferred_backup_window: str = Field("03:00-03:30", pattern=patterns.DAILY_WINDOW)
    preferred_maintenance_window: str = Field("sun:08:00-sun:09:00", pattern=patterns.WEEKLY_WINDOW)
    log_retention_days: LogRetentionDays = 365
    monitoring_interval_seconds: Annotated[
        int, _one_of(limits.RDS_MONITORING_INTERVALS, "RDS monitoring intervals")
    ] = 60

    @field_validator("port")
    @classmethod
    def _not_the_well_known_port(cls, port: int) -> int:
        """NET-3 (docs/configuration.md): refused here, naming the field, rather than later by the gates
        (AwsSolutions-RDS11, CT.RDS.PR.23) in a message about a resource."""
        if port == limits.POSTGRES_DEFAULT_PORT:
            raise ValueError("is PostgreSQL's well-known port; choose another port of 1150-65535, e.g. 5433 (NET-3)")
        return port

    @model_validator(mode="after")
    def _windows_rds_accepts(self) -> DatabaseSettings:
        """RDS refuses windows under 30 minutes and a backup window overlapping the maintenance window."""
        backup_start, backup_minutes = daily_window_minutes(self.preferred_backup_window)
        maintenance = weekly_window(self.preferred_maintenance_window)
        for field, minutes in (
            ("preferred_backup_window", backup_minutes),
            ("preferred_maintenance_window", maintenance.minutes),
        ):
            if minutes < limits.RDS_WINDOW_MIN_MINUTES:
                raise FieldValueError(
                    field,
                    getattr(self, field),
                    f"is {minutes} minutes long; RDS needs at least {limits.RDS_WINDOW_MIN_MINUTES}",
                )
        if any(window.overlaps(maintenance) for window in every_day(backup_start, backup_minutes)):
            raise FieldValueError(
                "preferred_backup_window",
                self.preferred_backup_window,
                f"overlaps preferred_maintenance_window ({self.preferred_maintenance_window}); RDS refuses that",
            )
        return self

    @model_validator(mode="after")
    def _storage_cap_above_start(self) -> DatabaseSettings:
        percent = limits.RDS_MAX_STORAGE_MIN_PERCENT_OF_ALLOCATED
        least = -(-self.allocated_storage_gib * percent // 100)  # ceiling
        if self.max_allocated_storage_gib < least:
            raise FieldValueError(
                "max_allocated_storage_gib",
                self.max_allocated_storage_gib,
                f"must be greater than allocated_storage_gib ({self.allocated_storage_gib}) by at least 10% "
                f"({least}) for storage autoscaling; RDS refuses less",
            )
        return self


class BackupTier(StrictModel):
    """One tier of the backup plan (BAK-3): how long its recovery points live, and when they go cold.

    `cold_storage_after_days` applies only to resource types with a cold tier (EBS with the archive opt-in, EFS,
    DynamoDB advanced backups, ...). AWS Backup ignores it for RDS, S3 and EC2 (AMI) recovery points, which are
    everything this environment backs up, so no tier sets it by default; it stays available for resources added
    to the plan by tag that do have a cold tier.
    """

    retention_days: int = Field(ge=limits.BACKUP_RETENTION_MIN, le=limits.BACKUP_RETENTION_MAX)
    cold_storage_after_days: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _cold_storage_minimum(self) -> BackupTier:
        cold = self.cold_storage_after_days
        if cold is not None and self.retention_days < cold + limits.BACKUP_COLD_STORAGE_MIN_DAYS:
            raise FieldValueError(
                "retention_days",
                self.retention_days,
                f"must be at least cold_storage_after_days + {limits.BACKUP_COLD_STORAGE_MIN_DAYS} "
                f"({cold + limits.BACKUP_COLD_STORAGE_MIN_DAYS}): AWS Backup keeps cold recovery points 90 days",
            )
        return self


class DailyTier(BackupTier):
    retention_days: int = Field(35, ge=limits.BACKUP_RETENTION_MIN, le=limits.BACKUP_RETENTION_MAX)


class WeeklyTier(BackupTier):
    weekday: Weekday = "SUN"
    retention_days: int = Field(90, ge=limits.BACKUP_RETENTION_MIN, le=limits.BACKUP_RETENTION_MAX)


class BiweeklyTier(BackupTier):
    """AWS Backup has no every-14-days schedule: the tier runs on fixed days of every month (BAK-3)."""

    days_of_month: list[Annotated[int, Field(ge=1, le=limits.LAST_DAY_IN_EVERY_MONTH)]] = [1, 15]
    retention_days: int = Field(180, ge=limits.BACKUP_RETENTION_MIN, le=limits.BACKUP_RETENTION_MAX)

    @field_validator("days_of_month")
    @classmethod
    def _at_least_twice_a_month(cls, days: list[int]) -> list[int]:
        if len(set(days)) < limits.BIWEEKLY_MIN_RUNS_PER_MONTH:
            raise ValueError(
                f"must name at least {limits.BIWEEKLY_MIN_RUNS_PER_MONTH} different days (1-28) "
                "so the bi-weekly tier runs at least twice a month"
            )
        days = sorted(set(days))
        if (gap := longest_gap_days(days)) > limits.BIWEEKLY_MAX_GAP_DAYS:
            raise ValueError(
                f"leaves {gap} days between two runs in a 31-day month; spread the days so no gap exceeds "
                f"{limits.BIWEEKLY_MAX_GAP_DAYS} (e.g. [1, 15])"
            )
        return days


def longest_gap_days(days_of_month: list[int]) -> int:
    """The longest time between two runs on these days of every month, in a 31-day month (BAK-3):
    [1, 15] gives 14 days (1st to 15th) and 17 days (15th to the next 1st), so 17.
    """
    days = sorted(set(days_of_month))
    gaps = [later - earlier for earlier, later in itertools.pairwise(days)]
    return max([*gaps, limits.LONGEST_MONTH_DAYS - days[-1] + days[0]])


class MonthlyTier(BackupTier):
    day_of_month: int = Field(1, ge=1, le=limits.LAST_DAY_IN_EVERY_MONTH)
    retention_days: int = Field(365, ge=limits.BACKUP_RETENTION_MIN, le=limits.BACKUP_RETENTION_MAX)


class VaultLockSettings(StrictModel):
    """Vault Lock bounds (BAK-5, ENC-3). Mode defaults by stage: compliance in prod, governance elsewhere."""

    mode: Literal["governance", "compliance"] | None = None
    min_retention_days: int = Field(7, ge=limits.BACKUP_RETENTION_MIN, le=limits.BACKUP_RETENTION_MAX)
    max_retention_days: int = Field(3650, ge=limits.BACKUP_RETENTION_MIN, le=limits.BACKUP_RETENTION_MAX)
    changeable_for_days: int = Field(7, ge=limits.BACKUP_LOCK_MIN_GRACE_DAYS, le=limits.BACKUP_RETENTION_MAX)

    @model_validator(mode="after")
    def _bounds_ordered(self) -> VaultLockSettings:
        if self.max_retention_days < self.min_retention_days:
            raise FieldValueError(
                "max_retention_days",
                self.max_retention_days,
                f"must be at least min_retention_days ({self.min_retention_days})",
            )
        return self


class BackupSettings(StrictModel):
    """The tiered AWS Backup plan (BAK-2, BAK-3, BAK-5, BAK-6)."""

    start_time_utc: HourMinute = "05:00"
    start_window_minutes: int = Field(60, ge=limits.BACKUP_START_WINDOW_MIN_MINUTES, le=1440)
    completion_window_minutes: int = Field(720, ge=120, le=10080)
    continuous_retention_days: int = Field(35, ge=1, le=limits.BACKUP_CONTINUOUS_MAX)
    daily: DailyTier = DailyTier()
    weekly: WeeklyTier = WeeklyTier()
    biweekly: BiweeklyTier = BiweeklyTier()
    monthly: MonthlyTier = MonthlyTier()
    vault_lock: VaultLockSettings = VaultLockSettings()

    def tier_weekdays(self) -> dict[str, tuple[str, ...]]:
        """The weekdays each tier can start on: the weekly tier on its weekday, every other tier on any day
        (a day of the month falls on every weekday in turn)."""
        return {name: (self.weekly.weekday.lower(),) if name == "weekly" else WEEKDAYS for name in self.tiers()}

    def tiers(self) -> dict[str, BackupTier]:
        return {"daily": self.daily, "weekly": self.weekly, "biweekly": self.biweekly, "monthly": self.monthly}

    @model_validator(mode="after")
    def _retention_grows_and_fits_the_lock(self) -> BackupSettings:
        if self.completion_window_minutes <= self.start_window_minutes:
            raise FieldValueError(
                "completion_window_minutes",
                self.completion_window_minutes,
                f"must be greater than start_window_minutes ({self.start_window_minutes})",
            )
        previous: tuple[str, int] | None = None
        for name, tier in self.tiers().items():
            if previous and tier.retention_days <= previous[1]:
                raise FieldValueError(
                    f"{name}.retention_days",
                    tier.retention_days,
                    f"must be greater than {previous[0]}.retention_days ({previous[1]}): retention grows with the tier",
                )
            previous = (name, tier.retention_days)
        lock = self.vault_lock
        retentions = {f"{name}.retention_days": tier.retention_days for name, tier in self.tiers().items()}
        retentions["continuous_retention_days"] = self.continuous_retention_days
        for field, days in retentions.items():
            if not lock.min_retention_days <= days <= lock.max_retention_days:
                raise FieldValueError(
                    field,
                    days,
                    f"is outside the vault lock bounds {lock.min_retention_days}-{lock.max_retention_days} days "
                    "(vault_lock.min_retention_days / max_retention_days)",
                )
        return self


class BastionSettings(StrictModel):
    """The SSH bastion host (ACC-2, ACC-5). Field names say what each does on OpenSSH 8.7p1 (Amazon Linux 2023)."""

    instance_type: str = Field("t3.micro", pattern=patterns.EC2_INSTANCE_TYPE)
    # ACC-5: a read-only TMOUT ends an idle interactive shell after this many seconds.
    idle_shell_timeout_seconds: int = Field(
        limits.IDLE_SHELL_TIMEOUT_DEFAULT, ge=limits.IDLE_SHELL_TIMEOUT_MIN, le=limits.IDLE_SHELL_TIMEOUT_MAX
    )
    # ACC-5: sshd's ClientAliveInterval / ClientAliveCountMax: a client that stops answering is dropped after
    # interval x missed checks. An idle client that still answers is not (OpenSSH 8.7 has no idle timeout).
    unresponsive_client_check_interval_seconds: int = Field(300, ge=30, le=3600)
    unresponsive_client_max_missed_checks: int = Field(2, ge=1, le=10)
    max_auth_tries: int = Field(3, ge=1, le=6)
    log_retention_days: LogRetentionDays = 365

    @model_validator(mode="before")
    @classmethod
    def _renamed_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for old, new in RENAMED_BASTION_FIELDS.items():
                if old in data:
                    raise FieldValueError(
                        old,
                        data[old],
                        f"was renamed to {new}: it ends only clients that stop answering, not idle sessions "
                        "(idle shells end after idle_shell_timeout_seconds) (ACC-5)",
                    )
        return data


RENAMED_BASTION_FIELDS = {
    "client_alive_interval_seconds": "unresponsive_client_check_interval_seconds",
    "client_alive_count_max": "unresponsive_client_max_missed_checks",
}


class Operator(StrictModel):
    """A named person with SSH access to the bastion (ACC-2, ACC-4: unique credentials per person)."""

    name: str = Field(pattern=patterns.OPERATOR_NAME)
    ssh_public_key: SshPublicKey

    @field_validator("name")
    @classmethod
    def _not_a_system_account(cls, name: str) -> str:
        if is_system_account(name):
            raise ValueError(
                "is a user or group of the bastion's Amazon Linux 2023 image; choose a personal name "
                "(config/system_accounts.py lists the refused names)"
            )
        return name


def bastion_user_data_bytes(operators: list[Operator]) -> int:
    """An upper bound of the bastion's user-data size for these operators (ACC-2; see config/limits.py)."""
    return limits.BASTION_USER_DATA_FIXED_BYTES + sum(
        limits.BASTION_USER_DATA_BYTES_PER_OPERATOR
        + limits.BASTION_USER_DATA_NAME_REPEATS * len(operator.name)
        + len(operator.ssh_public_key.encode())
        for operator in operators
    )


class AccessSettings(StrictModel):
    """Who may assume the job-function roles, always with MFA (ACC-3, ACC-8).

    Each ARN is matched as `aws:PrincipalArn` (a role's ARN includes its path) while the trust policy names only
    the principal's account, so a principal may be created after this stack, or re-created, and trust still holds.
    """

    operator_principals: list[IamPrincipalArn] = Field(min_length=1)
    auditor_principals: list[IamPrincipalArn] = Field(min_length=1)
    # ACC-5 / ACC-8: how long after the MFA sign-in a job role may still be assumed (aws:MultiFactorAuthAge).
    mfa_max_age_seconds: int = Field(limits.MFA_MAX_AGE_DEFAULT, ge=limits.MFA_MAX_AGE_MIN, le=limits.MFA_MAX_AGE_MAX)


def _admin_cidr(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if network.prefixlen == 0:
        raise ValueError("must not be open to the whole internet (0.0.0.0/0 or ::/0); list the admin networks (ACC-3)")
    if network.version != 4:
        raise ValueError("must be an IPv4 network: the VPC and the bastion are IPv4-only")
    return network


AdminCidr = Annotated[IPvAnyNetwork, BeforeValidator(as_network), AfterValidator(_admin_cidr)]
VpcCidr = Annotated[ipaddress.IPv4Network, BeforeValidator(as_ipv4_network)]


OAuthScope = Literal["openid", "email", "profile", "phone", "aws.cognito.signin.user.admin"]
DnsName = Annotated[str, Field(pattern=patterns.DNS_NAME, max_length=253)]
# The path an ALB authenticate action receives the authorization code on (ALB user guide, "Authenticate users").
ALB_IDP_RESPONSE_PATH = "/oauth2/idpresponse"
COGNITO_DOMAIN_RESERVED_WORDS = ("aws", "amazon", "cognito")


class EdgeSettings(StrictModel):
    """The optional public edge (ENC-1, NET-3, NET-4, ACC-5, ACC-6, ACC-7): certificate, load balancer, firewall,
    user pool. The domain must lie in the hosted zone, given by ID and name (no lookup at synth)."""

    domain: DnsName
    hosted_zone_id: str = Field(pattern=patterns.HOSTED_ZONE_ID)
    hosted_zone_name: DnsName
    # ENC-1: refused unless RSA of 2048+ bits that ACM can issue and renew (config/limits.py).
    certificate_key_algorithm: str = "RSA_2048"
    # NET-4: requests per client IP per 5 minutes before the web ACL blocks that IP.
    rate_limit_per_5_min: int = Field(2000, ge=limits.WAF_RATE_LIMIT_MIN, le=limits.WAF_RATE_LIMIT_MAX)
    blocked_requests_alarm_threshold: int = Field(100, ge=1)
    log_retention_days: LogRetentionDays = 365
    # ACC-6 / ACC-7: the user pool's sign-in domain prefix (<prefix>.auth.<region>.amazoncognito.com).
    sign_in_domain_prefix: str = Field(pattern=patterns.SIGN_IN_PREFIX)
    self_sign_up: bool = False
    oauth_scopes: list[OAuthScope] = ["openid", "email", "profile"]
    # ACC-7: extra exact https URLs; https://<domain>/oauth2/idpresponse (the load balancer's) is always allowed.
    callback_urls: list[str] = []
    logout_urls: list[str] = []
    trusted_hosts: list[DnsName] = []
    # ACC-5: session timeouts.
    access_token_minutes: int = Field(60, ge=limits.COGNITO_TOKEN_MIN_MINUTES, le=limits.COGNITO_TOKEN_MAX_MINUTES)
    id_token_minutes: int = Field(60, ge=limits.COGNITO_TOKEN_MIN_MINUTES, le=limits.COGNITO_TOKEN_MAX_MINUTES)
    refresh_token_days: int = Field(1, ge=1, le=limits.COGNITO_REFRESH_MAX_DAYS)
    session_timeout_minutes: int = Field(480, ge=1, le=limits.ALB_SESSION_MAX_MINUTES)
    # ACC-6: an optional container behind the authenticating listener; it must serve HTTPS on 443 (ENC-1).
    app_image: str | None = Field(None, pattern=patterns.CONTAINER_IMAGE)

    @property
    def load_balancer_callback_url(self) -> str:
        return f"https://{self.domain}{ALB_IDP_RESPONSE_PATH}"

    @property
    def allowed_callback_urls(self) -> list[str]:
        return list(dict.fromkeys([self.load_balancer_callback_url, *self.callback_urls]))

    @property
    def allowed_logout_urls(self) -> list[str]:
        return list(dict.fromkeys([f"https://{self.domain}/", *self.logout_urls]))

    @field_validator("certificate_key_algorithm")
    @classmethod
    def _rsa_2048_or_stronger(cls, algorithm: str) -> str:
        allowed = ", ".join(limits.ACM_PUBLIC_RSA_KEY_ALGORITHMS)
        if algorithm in limits.ACM_PUBLIC_RSA_KEY_ALGORITHMS:
            return algorithm
        if algorithm.startswith("EC_"):
            raise ValueError(f"is an ECDSA key; ENC-1 requires RSA of at least 2048 bits (allowed: {allowed})")
        if algorithm == "RSA_1024":
            raise ValueError(f"is RSA of 1024 bits, too weak; ENC-1 requires at least 2048 (allowed: {allowed})")
        if algorithm in limits.ACM_KEY_ALGORITHMS:
            raise ValueError(
                f"is for imported certificates only; ACM issues and renews public RSA certificates as {allowed}"
            )
        raise ValueError(f"is not an ACM key algorithm (allowed: {allowed})")

    @field_validator("sign_in_domain_prefix")
    @classmethod
    def _no_reserved_words(cls, prefix: str) -> str:
        for word in COGNITO_DOMAIN_RESERVED_WORDS:
            if word in prefix:
                raise ValueError(
                    f"must not contain {word!r}: Cognito refuses {', '.join(COGNITO_DOMAIN_RESERVED_WORDS)}"
                )
        return prefix

    @field_validator("oauth_scopes")
    @classmethod
    def _openid_requested(cls, scopes: list[str]) -> list[str]:
        if "openid" not in scopes:
            raise ValueError("must include 'openid': the load balancer signs users in with OpenID Connect (ACC-6)")
        return list(dict.fromkeys(scopes))

    @model_validator(mode="after")
    def _domain_in_zone_and_urls_in_the_circle_of_trust(self) -> EdgeSettings:
        zone = self.hosted_zone_name
        if self.domain != zone and not self.domain.endswith(f".{zone}"):
            raise FieldValueError(
                "domain",
                self.domain,
                f"must be {zone} or a name under it: DNS validation writes into that zone (ENC-1)",
            )
        trusted = {self.domain, *self.trusted_hosts}
        for field in ("callback_urls", "logout_urls"):
            for index, url in enumerate(getattr(self, field)):
                if problem := _url_problem(url, trusted):
                    raise FieldValueError(f"{field}[{index}]", url, problem)
        return self


def _url_problem(url: str, trusted: set[str]) -> str | None:
    """ACC-7: a sign-in redirect may go only to an exact https URL on the edge domain or a trusted host."""
    parts = urllib.parse.urlsplit(url)
    if "*" in url:
        return "must be an exact URL; wildcards are refused (ACC-7)"
    if parts.scheme != "https":
        return "must use https (ENC-1, ACC-7)"
    if parts.fragment or parts.username or parts.password or not parts.hostname:
        return "must be https://host/path with no user info or fragment (ACC-7)"
    if parts.hostname not in trusted:
        hosts = ", ".join(sorted(trusted))
        return f"host {parts.hostname!r} is neither the edge domain nor in trusted_hosts ({hosts}) (ACC-7)"
    return None


class EnvironmentConfig(StrictModel):
    """One isolated environment: a tenant's stage with its own VPC, keys, database and backups (ACC-1)."""

    tenant: Slug
    stage: Literal["dev", "test", "staging", "prod"]
    owner: str = Field(min_length=1, max_length=128, pattern=patterns.OWNER)
    data_classification: Literal["internal", "confidential", "restricted"] = "confidential"
    account: AccountId | None = None
    region: Literal[limits.ALLOWED_REGIONS] = "us-east-1"  # type: ignore[valid-type]
    dr_region: Literal[limits.ALLOWED_DR_REGIONS] = "us-west-2"  # type: ignore[valid-type]
    availability_zones: list[str] = ["us-east-1a", "us-east-1b", "us-east-1c"]
    vpc_cidr: VpcCidr
    nat_gateways: int | None = Field(None, ge=1, le=limits.AZ_COUNT)
    # NET-3: each admin network takes one inbound and one outbound rule of the public network ACL.
    admin_cidrs: list[AdminCidr] = Field(min_length=1, max_length=limits.MAX_ADMIN_CIDRS)
    flow_log_retention_days: LogRetentionDays = 365
    alert_email: EmailStr
    operators: list[Operator] = Field(min_length=1)
    access: AccessSettings
    database: DatabaseSettings = DatabaseSettings()
    backup: BackupSettings = BackupSettings()
    bastion: BastionSettings = BastionSettings()
    edge: EdgeSettings | None = None

    @property
    def name(self) -> str:
        return f"{self.tenant}-{self.stage}"

    @property
    def is_production(self) -> bool:
        return self.stage == "prod"

    @property
    def nat_gateway_count(self) -> int:
        return self.nat_gateways if self.nat_gateways is not None else limits.AZ_COUNT

    @property
    def subnet_prefix(self) -> int:
        return self.vpc_cidr.prefixlen + limits.SUBNET_PREFIX_STEP

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_cidr_fits_three_tiers(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not is_rfc1918(cidr):
            raise ValueError(
                "must lie in a private range of RFC 1918: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (NET-1)"
            )
        if not limits.VPC_MIN_PREFIX <= cidr.prefixlen <= limits.VPC_MAX_PREFIX:
            raise ValueError(
                f"must be /{limits.VPC_MIN_PREFIX} to /{limits.VPC_MAX_PREFIX}: three tiers in three AZs need "
                f"nine subnets of at least /{limits.SUBNET_MAX_PREFIX}"
            )
        return cidr

    @field_validator("operators")
    @classmethod
    def _operator_names_unique(cls, operators: list[Operator]) -> list[Operator]:
        names = [operator.name for operator in operators]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise FieldValueError(f"[{index}].name", name, "is listed twice; each operator needs one entry (ACC-4)")
        size = bastion_user_data_bytes(operators)
        if size > limits.EC2_USER_DATA_MAX_BYTES:
            first_over = next(
                index
                for index in range(len(operators))
                if bastion_user_data_bytes(operators[: index + 1]) > limits.EC2_USER_DATA_MAX_BYTES
            )
            raise FieldValueError(
                f"[{first_over}].name",
                operators[first_over].name,
                f"does not fit: with {len(operators)} operators the bastion's first-boot script would be about "
                f"{size} bytes, and EC2 accepts at most {limits.EC2_USER_DATA_MAX_BYTES} bytes of user data; list "
                "fewer operators or use ssh-ed25519 keys, which are shorter (ACC-2)",
            )
        return operators

    @model_validator(mode="after")
    def _backups_start_outside_rds_maintenance(self) -> EnvironmentConfig:
        """BAK-2 / BAK-3: AWS Backup starts no RDS backup within an hour before or during the maintenance window,
        so a tier (or the continuous plan, which shares the daily start) whose start window falls there skips runs."""
        backup = self.backup
        maintenance = self.database.preferred_maintenance_window
        blocked = backup_start_blocked_by(weekly_window(maintenance))
        start, _ = daily_window_minutes(f"{backup.start_time_utc}-{backup.start_time_utc}")
        for tier, weekdays in backup.tier_weekdays().items():
            if any(window.overlaps(blocked) for window in every_day(start, backup.start_window_minutes, weekdays)):
                raise FieldValueError(
                    "backup.start_time_utc",
                    backup.start_time_utc,
                    f"the {tier} tier's start window ({backup.start_window_minutes} min) falls within an hour before "
                    f"or during database.preferred_maintenance_window ({maintenance}); AWS Backup skips RDS backups "
                    "then, so move one of them",
                )
        return self

    @model_validator(mode="after")
    def _placement_and_stage_rules(self) -> EnvironmentConfig:
        zones = self.availability_zones
        if len(zones) != limits.AZ_COUNT or len(set(zones)) != limits.AZ_COUNT:
            raise FieldValueError(
                "availability_zones", zones, f"must name {limits.AZ_COUNT} different zones (LOC-1, HA-1)"
            )
        for index, zone in enumerate(zones):
            if not (zone.startswith(self.region) and len(zone) == len(self.region) + 1 and zone[-1].isalpha()):
                raise FieldValueError(
                    f"availability_zones[{index}]", zone, f"must be a zone of {self.region}, e.g. {self.region}a"
                )
        if self.database.backup_retention_days != self.backup.continuous_retention_days:
            raise FieldValueError(
                "database.backup_retention_days",
                self.database.backup_retention_days,
                f"must equal backup.continuous_retention_days ({self.backup.continuous_retention_days}): AWS Backup's "
                "continuous backup takes over the instance's automated-backup retention (BAK-2, BAK-4)",
            )
        if self.dr_region == self.region:
            raise FieldValueError("dr_region", self.dr_region, "must differ from region (BAK-5)")
        if self.is_production and self.nat_gateway_count != limits.AZ_COUNT:
            raise FieldValueError(
                "nat_gateways", self.nat_gateways, f"must be {limits.AZ_COUNT} in prod: one NAT gateway per AZ (HA-1)"
            )
        if self.backup.vault_lock.mode is None:
            self.backup.vault_lock.mode = "compliance" if self.is_production else "governance"
        return self


class AccountSettings(StrictModel):
    """The security baseline of one AWS account (ACC-4, ACC-5, NET-4..6, CMP-1): where it runs and who is alerted.

    `account` absent means the deploying account of the environments that name none (environment-agnostic stacks).
    `organization_managed` = the organization already provides CloudTrail, GuardDuty, Security Hub and AWS Config
    (Control Tower, delegated administrators): the baseline then creates none of them and says so.
    """

    account: AccountId | None = None
    home_region: Literal[limits.ALLOWED_REGIONS] = "us-east-1"  # type: ignore[valid-type]
    dr_region: Literal[limits.ALLOWED_DR_REGIONS] = "us-west-2"  # type: ignore[valid-type]
    alert_email: EmailStr
    organization_managed: bool = False
    log_retention_days: LogRetentionDays = 365

    @model_validator(mode="after")
    def _dr_region_differs(self) -> AccountSettings:
        if self.dr_region == self.home_region:
            raise FieldValueError("dr_region", self.dr_region, "must differ from home_region (BAK-5)")
        return self


class AppConfig(StrictModel):
    """Every environment the app deploys; tenants must not collide (ACC-1)."""

    environments: list[EnvironmentConfig] = Field(min_length=1)
    # ACC-4, NET-5: one baseline per account; environments without `account` share one for the deploying account.
    accounts: list[AccountSettings] = []
    # CMP-1: cell pipelines (CDK Pipelines on CodePipeline); absent: `cdk deploy` from a workstation only.
    pipeline: PipelineSettings | None = None

    def baseline_for(self, env: EnvironmentConfig) -> AccountSettings:
        """The baseline settings of the account an environment deploys to (validated to exist)."""
        for settings in self.accounts:
            if settings.account == env.account:
                return settings
        first = next(e for e in self.environments if e.account == env.account)
        return AccountSettings(home_region=first.region, dr_region=first.dr_region, alert_email=first.alert_email)

    def baselines(self) -> list[AccountSettings]:
        """One settings object per account: those the environments use, in their order, then any other listed
        account (a baseline-only account). An entry without `account` counts only if an environment names none."""
        unique: dict[str | None, AccountSettings] = {}
        for env in self.environments:
            unique.setdefault(env.account, self.baseline_for(env))
        for settings in self.accounts:
            if settings.account is not None:
                unique.setdefault(settings.account, settings)
        return list(unique.values())

    @model_validator(mode="after")
    def _environments_are_isolated(self) -> AppConfig:
        for index, env in enumerate(self.environments):
            for earlier_index, earlier in enumerate(self.environments[:index]):
                if env.name == earlier.name:
                    raise FieldValueError(
                        f"environments[{index}]",
                        env.name,
                        f"repeats environments[{earlier_index}]; tenant and stage together must be unique",
                    )
                if env.vpc_cidr.overlaps(earlier.vpc_cidr):
                    raise FieldValueError(
                        f"environments[{index}].vpc_cidr",
                        str(env.vpc_cidr),
                        f"overlaps {earlier.name} ({earlier.vpc_cidr}); each environment needs its own range",
                    )
        return self

    @model_validator(mode="after")
    def _one_baseline_per_account(self) -> AppConfig:
        """Account singletons (one detector, hub, recorder per region) allow one baseline per account (NET-5)."""
        seen: dict[str | None, int] = {}
        for index, settings in enumerate(self.accounts):
            if settings.account in seen:
                raise FieldValueError(
                    f"accounts[{index}].account",
                    settings.account or "(deploying account)",
                    f"repeats accounts[{seen[settings.account]}]; an account has one baseline (one GuardDuty "
                    "detector, Security Hub and Config recorder per region)",
                )
            seen[settings.account] = index
        self._deploying_account_baseline_is_explicit(declared=None in seen)
        for index, env in enumerate(self.environments):
            if env.account is not None and env.account not in seen:
                raise FieldValueError(
                    f"environments[{index}].account",
                    env.account,
                    "has no baseline settings; add an [[accounts]] entry with this account (ACC-4, NET-5)",
                )
            settings = self.baseline_for(env)
            for field, value, expected in (
                ("region", env.region, settings.home_region),
                ("dr_region", env.dr_region, settings.dr_region),
            ):
                if value != expected:
                    raise FieldValueError(
                        f"environments[{index}].{field}",
                        value,
                        f"differs from its account's baseline ({expected}); an account's environments share the "
                        "baseline's home and DR regions",
                    )
        return self

    @model_validator(mode="after")
    def _cells_cover_the_fleet(self) -> AppConfig:
        """Each environment with an account in exactly one cell, an account in one cell, cells within quotas."""
        if self.pipeline is not None and (problem := cell_problem(self.pipeline, self.environments)):
            raise FieldValueError(*problem)
        return self

    def _deploying_account_baseline_is_explicit(self, *, declared: bool) -> None:
        """ACC-4, NET-5: environments without `account` share one baseline (the deploying account's). With one such
        environment its region and alert e-mail are the baseline's; with several, the config must say where the
        account-level alerts go (an [[accounts]] entry without `account`), or one tenant's findings would silently
        reach another tenant's address."""
        agnostic = [(index, env) for index, env in enumerate(self.environments) if env.account is None]
        if declared or len(agnostic) < 2:
            return
        (_, first), (index, _) = agnostic[0], agnostic[1]
        raise FieldValueError(
            f"environments[{index}].account",
            None,
            f"is not set, like {first.name}'s: both would share the deploying account's baseline, whose alerts "
            f"would go to {first.alert_email} only; set `account` on each, or add an [[accounts]] entry without "
            '`account` naming the baseline\'s alert_email (docs/configuration.md, "Accounts")',
        )
