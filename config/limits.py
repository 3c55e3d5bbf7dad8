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
# RDS: the backup window and the maintenance window are each at least 30 minutes and must not overlap
# (CreateDBInstance, PreferredBackupWindow / PreferredMaintenanceWindow constraints).
RDS_WINDOW_MIN_MINUTES: Final = 30
# RDS storage autoscaling: the maximum storage threshold must be at least 10% above the allocated storage, or RDS
# answers "Invalid max storage size" (RDS User Guide, "Managing capacity automatically with storage autoscaling").
RDS_MAX_STORAGE_MIN_PERCENT_OF_ALLOCATED: Final = 110

# AWS Backup: retention 1 day to 100 years; a recovery point in cold storage must stay 90 days;
# continuous backups keep 1 to 35 days; a compliance lock's grace period is at least 3 days;
# start window at least 60 minutes (AWS Backup API reference).
BACKUP_RETENTION_MIN: Final = 1
BACKUP_RETENTION_MAX: Final = 36500
BACKUP_COLD_STORAGE_MIN_DAYS: Final = 90
BACKUP_CONTINUOUS_MAX: Final = 35
BACKUP_LOCK_MIN_GRACE_DAYS: Final = 3
BACKUP_START_WINDOW_MIN_MINUTES: Final = 60
# AWS Backup starts no backup of an RDS database within one hour before or during its maintenance window
# (AWS Backup Developer Guide, "Backup plan options and configuration").
BACKUP_RDS_MAINTENANCE_MARGIN_MINUTES: Final = 60
# BAK-3: the bi-weekly tier must run at least twice in every month; days 1-28 exist in every month.
BIWEEKLY_MIN_RUNS_PER_MONTH: Final = 2
LAST_DAY_IN_EVERY_MONTH: Final = 28
# BAK-3: nor may it leave more than 17 days between two runs in a 31-day month (the default 1st and 15th do).
BIWEEKLY_MAX_GAP_DAYS: Final = 17
LONGEST_MONTH_DAYS: Final = 31

# ACC-2 / ENC-1: EC2 key pairs import only RSA and Ed25519 keys (EC2 User Guide, "Import a public key"): RSA of
# 1024, 2048 or 4096 bits. 1024 is too weak (ENC-1), so 2048 and 4096 are the lengths accepted here; any other
# length (3072, say) is not documented and may be refused by ImportKeyPair at deploy time.
SSH_RSA_BITS: Final = (2048, 4096)
SSH_RSA_MIN_BITS: Final = min(SSH_RSA_BITS)

# NET-3: a network ACL holds 20 inbound and 20 outbound rules by default (Amazon VPC quotas, "Rules per network
# ACL"). The public ACL (constructs/tier_firewall.py) needs one inbound and one outbound rule per admin network,
# plus these fixed rules: inbound internet replies (TCP ephemeral, ICMP "fragmentation needed"), the edge's HTTPS
# listener (where there is an edge), and per AZ one rule for the application tier and one for the data tier;
# outbound HTTPS, the edge's client replies, and the same two per AZ.
NACL_RULES_PER_DIRECTION: Final = 20
PUBLIC_ACL_FIXED_INBOUND_RULES: Final = 3 + 2 * AZ_COUNT
PUBLIC_ACL_FIXED_OUTBOUND_RULES: Final = 2 + 2 * AZ_COUNT
MAX_ADMIN_CIDRS: Final = NACL_RULES_PER_DIRECTION - max(PUBLIC_ACL_FIXED_INBOUND_RULES, PUBLIC_ACL_FIXED_OUTBOUND_RULES)

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

# BAK-6 / NET-1: the overridable restore-testing metadata keys that decide the network a restore lands in, per
# protected resource type (AWS Backup Developer Guide, "Restore testing inferred metadata"); key names are not case
# sensitive. Without them AWS Backup infers a placement: the default VPC.
RESTORE_PLACEMENT_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "RDS": ("dbSubnetGroupName", "vpcSecurityGroupIds"),
    "Aurora": ("dbSubnetGroupName", "vpcSecurityGroupIds"),
    "DocumentDB": ("dbSubnetGroupName", "vpcSecurityGroupIds"),
    "Neptune": ("dbSubnetGroupName", "vpcSecurityGroupIds"),
    "EC2": ("subnetId", "securityGroupIds"),
}

# CMP-1: the Backup Audit Manager controls whose AWS Config rules evaluate protected resources (RDS, S3, EC2, EBS, ...),
# as opposed to recovery points, vaults or plans; their scope must not reach resources no plan selects.
BACKUP_RESOURCE_CONTROLS: Final = frozenset(
    {
        "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN",
        "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK",
        "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION",
        "BACKUP_LAST_RECOVERY_POINT_CREATED",
    }
)

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

# NET-3: PostgreSQL's well-known port, refused for the database (AwsSolutions-RDS11, Control Tower CT.RDS.PR.23).
POSTGRES_DEFAULT_PORT: Final = 5432
