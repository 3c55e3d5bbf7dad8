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

# NET-1 / NET-3: the tags our constructs write on subnets and security groups and our Project gate reads.
TIER_TAG: Final = "tier"
SG_ROLE_TAG: Final = "sg-role"

# ACC-1: every resource carries its environment's name; backup selections and audit scopes match on it.
ENVIRONMENT_TAG: Final = "environment"

# BAK-1: resources carrying this tag are added to the environment's backup plan by tag selection.
BACKUP_TAG_KEY: Final = "backup-plan"
BACKUP_TAG_VALUE: Final = "tiered"

# ENC-1: ACM issues public certificates with RSA_2048, EC_prime256v1 or EC_secp384r1 keys only (ACM API reference,
# RequestCertificate KeyAlgorithm: other values are for imported certificates); the catalog wants RSA of 2048+ bits,
# so RSA_2048 is the only key algorithm an ACM-issued, ACM-renewed certificate can have here.
ACM_PUBLIC_RSA_KEY_ALGORITHMS: Final = ("RSA_2048",)
ACM_KEY_ALGORITHMS: Final = (
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
)

# NET-4: a WAF rate-based rule's limit is 10 to 2,000,000,000 requests per evaluation window (AWS WAF developer guide,
# "Rate-based rule high-level settings"; RateBasedStatement.Limit); the window here is the default 300 seconds.
WAF_RATE_LIMIT_MIN: Final = 10
WAF_RATE_LIMIT_MAX: Final = 2_000_000_000
WAF_RATE_WINDOW_SECONDS: Final = 300

# ACC-5: Cognito app-client token lifetimes (UserPoolClient API): access and ID tokens 5 minutes to 1 day,
# refresh tokens 60 minutes to 10 years (here whole days, 1 to 3650).
COGNITO_TOKEN_MIN_MINUTES: Final = 5
COGNITO_TOKEN_MAX_MINUTES: Final = 1440
COGNITO_REFRESH_MAX_DAYS: Final = 3650
# ACC-5: an ALB authenticate action's session cookie lives 1 second to 7 days (SessionTimeout, in seconds).
ALB_SESSION_MAX_MINUTES: Final = 7 * 24 * 60
# ACC-5: Cognito password length is 6-99; the catalog's policy asks for at least 14.
COGNITO_PASSWORD_MIN_LENGTH: Final = 14
