"""AWS service limits and project-wide allowed values, kept in one place.

Every number here is either an AWS quota (cited) or a project decision (named by control ID).
"""

from typing import Final

# LOC-1: production runs in US East (N. Virginia).
ALLOWED_REGIONS: Final = ("us-east-1",)
# BAK-5: the disaster-recovery copy lives in another US region.
ALLOWED_DR_REGIONS: Final = ("us-west-2", "us-east-2", "us-west-1")

# CloudWatch Logs accepts only these retention values (PutRetentionPolicy).
LOG_RETENTION_DAYS: Final = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# VPC CIDR blocks must be between /16 and /28 (Amazon VPC quotas). NET-1/LOC-1: nine subnets
# (three tiers in three AZs) are cut at prefix + SUBNET_PREFIX_STEP, so the smallest usable VPC is
# the one whose subnets are still /28, the smallest subnet AWS allows.
VPC_MIN_PREFIX: Final = 16
SUBNET_PREFIX_STEP: Final = 4
SUBNET_MAX_PREFIX: Final = 28
VPC_MAX_PREFIX: Final = SUBNET_MAX_PREFIX - SUBNET_PREFIX_STEP
TIERS: Final = ("public", "application", "data")
AZ_COUNT: Final = 3

# RDS automated backups: 0-35 days (RDS API). BAK-4 asks for at least a week of point in time.
RDS_BACKUP_RETENTION_MIN: Final = 7
RDS_BACKUP_RETENTION_MAX: Final = 35
RDS_MONITORING_INTERVALS: Final = (1, 5, 10, 15, 30, 60)

# AWS Backup: retention 1 day to 100 years; a recovery point in cold storage must stay 90 days;
# continuous backups keep 1 to 35 days; a compliance lock's grace period is at least 3 days;
# start window at least 60 minutes (AWS Backup API reference).
BACKUP_RETENTION_MIN: Final = 1
BACKUP_RETENTION_MAX: Final = 36500
BACKUP_COLD_STORAGE_MIN_DAYS: Final = 90
BACKUP_CONTINUOUS_MAX: Final = 35
BACKUP_LOCK_MIN_GRACE_DAYS: Final = 3
BACKUP_START_WINDOW_MIN_MINUTES: Final = 60
# BAK-3: the bi-weekly tier must run at least twice in every month; days 1-28 exist in every month.
BIWEEKLY_MIN_RUNS_PER_MONTH: Final = 2
LAST_DAY_IN_EVERY_MONTH: Final = 28
# BAK-3: nor may it leave more than 17 days between two runs in a 31-day month (the default 1st and 15th do).
BIWEEKLY_MAX_GAP_DAYS: Final = 17
LONGEST_MONTH_DAYS: Final = 31

# ACC-2 / ENC-1: EC2 key pairs import only RSA and Ed25519; RSA must be at least 2048 bits.
SSH_RSA_MIN_BITS: Final = 2048

# ACC-5: idle interactive shells on the bastion end after TMOUT seconds; 15 minutes by default (PCI DSS 8.2.8's
# idle limit), at most an hour, at least a minute.
IDLE_SHELL_TIMEOUT_DEFAULT: Final = 900
IDLE_SHELL_TIMEOUT_MIN: Final = 60
IDLE_SHELL_TIMEOUT_MAX: Final = 3600
# ACC-8: a job role may be assumed only this long after the MFA sign-in (aws:MultiFactorAuthAge, seconds). STS
# sessions with MFA last 15 minutes (AssumeRole minimum) to 36 hours (GetSessionToken maximum).
MFA_MAX_AGE_DEFAULT: Final = 3600
MFA_MAX_AGE_MIN: Final = 900
MFA_MAX_AGE_MAX: Final = 129600

# ACC-2: EC2 accepts at most 16 KB of user data (before base64; EC2 User Guide, "Run commands at launch"). The
# bastion's first-boot script holds every operator's key, so config refuses operator lists whose script would not
# fit. The estimate is an upper bound of constructs/bastion_user_data.py's rendering (a test holds it to that):
# a fixed part, plus per operator its key, its name repeated in the account lines, and a fixed overhead.
EC2_USER_DATA_MAX_BYTES: Final = 16384
BASTION_USER_DATA_FIXED_BYTES: Final = 5120
BASTION_USER_DATA_BYTES_PER_OPERATOR: Final = 304
BASTION_USER_DATA_NAME_REPEATS: Final = 11

# NET-1 / NET-3: the tags our constructs write on subnets and security groups and our Project gate reads.
TIER_TAG: Final = "tier"
SG_ROLE_TAG: Final = "sg-role"

# ACC-1: every resource carries its environment's name; backup selections and audit scopes match on it.
ENVIRONMENT_TAG: Final = "environment"

# BAK-1: resources carrying this tag are added to the environment's backup plan by tag selection.
BACKUP_TAG_KEY: Final = "backup-plan"
BACKUP_TAG_VALUE: Final = "tiered"
