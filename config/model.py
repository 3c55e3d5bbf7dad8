"""The typed, validated configuration of every isolated environment (one per tenant and stage).

Everything a stack needs comes from here; nothing deeper reads the environment. Each check names
the control it protects, and each failure is raised as a `FieldValueError` so the loader can say
exactly which field, which value and what is allowed.
"""

from __future__ import annotations

import ipaddress
import itertools
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    IPvAnyNetwork,
    field_validator,
    model_validator,
)

from config import limits
from config.ssh_key import SshPublicKey


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
HourMinute = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{1,15}$")]
IamPrincipalArn = Annotated[str, Field(pattern=r"^arn:aws:iam::\d{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$")]
Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]


class StrictModel(BaseModel):
    """Unknown keys are typos: reject them rather than silently ignore them."""

    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(StrictModel):
    """RDS PostgreSQL sizing and recovery settings (BAK-2, BAK-4, HA-1)."""

    engine_version: Literal["16", "17"] = "17"
    # NET-3: not PostgreSQL's well-known 5432 (AwsSolutions-RDS11, Control Tower CT.RDS.PR.23).
    port: int = Field(5433, ge=1150, le=65535)
    instance_class: str = Field("db.m7g.large", pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$")
    allocated_storage_gib: int = Field(100, ge=20, le=65536)
    max_allocated_storage_gib: int = Field(500, ge=20, le=65536)
    backup_retention_days: int = Field(
        limits.RDS_BACKUP_RETENTION_MAX, ge=limits.RDS_BACKUP_RETENTION_MIN, le=limits.RDS_BACKUP_RETENTION_MAX
    )
    preferred_backup_window: str = Field("03:00-03:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
    preferred_maintenance_window: str = Field(
        "sun:04:30-sun:05:30",
        pattern=r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$",
    )
    log_retention_days: LogRetentionDays = 365
    monitoring_interval_seconds: Annotated[
        int, _one_of(limits.RDS_MONITORING_INTERVALS, "RDS monitoring intervals")
    ] = 60

    @model_validator(mode="after")
    def _storage_cap_above_start(self) -> DatabaseSettings:
        if self.max_allocated_storage_gib <= self.allocated_storage_gib:
            raise FieldValueError(
                "max_allocated_storage_gib",
                self.max_allocated_storage_gib,
                f"must be greater than allocated_storage_gib ({self.allocated_storage_gib}) for storage autoscaling",
            )
        return self


class BackupTier(StrictModel):
    """One tier of the backup plan (BAK-3): how long its recovery points live, and when they go cold."""

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
    cold_storage_after_days: int | None = Field(90, ge=1)


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
    """The SSH bastion host (ACC-2, ACC-5)."""

    instance_type: str = Field("t3.micro", pattern=r"^[a-z][a-z0-9]*\.[a-z0-9]+$")
    client_alive_interval_seconds: int = Field(300, ge=30, le=3600)
    client_alive_count_max: int = Field(2, ge=1, le=10)
    max_auth_tries: int = Field(3, ge=1, le=6)
    log_retention_days: LogRetentionDays = 365


RESERVED_USERS = frozenset({"root", "ec2-user", "ssm-user", "admin", "nobody", "sshd", "daemon", "bin"})


class Operator(StrictModel):
    """A named person with SSH access to the bastion (ACC-2, ACC-4: unique credentials per person)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,31}$")
    ssh_public_key: SshPublicKey

    @field_validator("name")
    @classmethod
    def _not_a_system_account(cls, name: str) -> str:
        if name in RESERVED_USERS:
            raise ValueError(f"is a system account; choose a personal name (not {', '.join(sorted(RESERVED_USERS))})")
        return name


class AccessSettings(StrictModel):
    """Who may assume the job-function roles, always with MFA (ACC-3, ACC-8)."""

    operator_principals: list[IamPrincipalArn] = Field(min_length=1)
    auditor_principals: list[IamPrincipalArn] = Field(min_length=1)


def _admin_cidr(
    network: ipaddress.IPv4Network | ipaddress.IPv6Network,
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if network.prefixlen == 0:
        raise ValueError("must not be open to the whole internet (0.0.0.0/0 or ::/0); list the admin networks (ACC-3)")
    if network.version != 4:
        raise ValueError("must be an IPv4 network: the VPC and the bastion are IPv4-only")
    return network


AdminCidr = Annotated[IPvAnyNetwork, AfterValidator(_admin_cidr)]


class EnvironmentConfig(StrictModel):
    """One isolated environment: a tenant's stage with its own VPC, keys, database and backups (ACC-1)."""

    tenant: Slug
    stage: Literal["dev", "test", "staging", "prod"]
    owner: str = Field(min_length=1, max_length=128, pattern=r"^[\w .@+-]+$")
    data_classification: Literal["internal", "confidential", "restricted"] = "confidential"
    account: str | None = Field(None, pattern=r"^\d{12}$")
    region: Literal[limits.ALLOWED_REGIONS] = "us-east-1"  # type: ignore[valid-type]
    dr_region: Literal[limits.ALLOWED_DR_REGIONS] = "us-west-2"  # type: ignore[valid-type]
    availability_zones: list[str] = ["us-east-1a", "us-east-1b", "us-east-1c"]
    vpc_cidr: ipaddress.IPv4Network
    nat_gateways: int | None = Field(None, ge=1, le=limits.AZ_COUNT)
    admin_cidrs: list[AdminCidr] = Field(min_length=1)
    flow_log_retention_days: LogRetentionDays = 365
    alert_email: EmailStr
    operators: list[Operator] = Field(min_length=1)
    access: AccessSettings
    database: DatabaseSettings = DatabaseSettings()
    backup: BackupSettings = BackupSettings()
    bastion: BastionSettings = BastionSettings()

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
        if not cidr.is_private:
            raise ValueError("must be a private (RFC 1918) range")
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
        return operators

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

    account: str | None = Field(None, pattern=r"^\d{12}$")
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
                        f"overlaps environments[{earlier_index}] ({earlier.name}, {earlier.vpc_cidr}); "
                        "each environment needs its own range",
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
