"""The text formats config values must have, each with the words a user reads when a value does not match.

A rejected value is explained in words (`tenant = 'Initech'`: "2-16 characters: a lowercase letter, then lowercase
letters or digits"), never as the raw regular expression; `config/loader.py` looks the words up here.
"""

from __future__ import annotations

from typing import Final

SLUG: Final = r"^[a-z][a-z0-9]{1,15}$"
ACCOUNT_ID: Final = r"^\d{12}$"
HOUR_MINUTE: Final = r"^([01]\d|2[0-3]):[0-5]\d$"
IAM_PRINCIPAL_ARN: Final = r"^arn:aws:iam::\d{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$"
OPERATOR_NAME: Final = r"^[a-z][a-z0-9_-]{1,31}$"
OWNER: Final = r"^[\w .@+-]+$"
DB_INSTANCE_CLASS: Final = r"^db\.[a-z0-9]+\.[a-z0-9]+$"
EC2_INSTANCE_TYPE: Final = r"^[a-z][a-z0-9]*\.[a-z0-9]+$"
DAILY_WINDOW: Final = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"
_DAY: Final = "(mon|tue|wed|thu|fri|sat|sun)"
WEEKLY_WINDOW: Final = rf"^{_DAY}:([01]\d|2[0-3]):[0-5]\d-{_DAY}:([01]\d|2[0-3]):[0-5]\d$"
DNS_NAME: Final = r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
HOSTED_ZONE_ID: Final = r"^Z[A-Z0-9]{1,31}$"
SIGN_IN_PREFIX: Final = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
CONTAINER_IMAGE: Final = r"^[a-z0-9][\w.\-/:]*(:[\w.\-]+|@sha256:[0-9a-f]{64})$"

IN_WORDS: Final[dict[str, str]] = {
    SLUG: "must be 2-16 characters: a lowercase letter, then lowercase letters or digits (no dashes or capitals: "
    "the environment is named <tenant>-<stage>)",
    ACCOUNT_ID: "must be an AWS account ID: 12 digits, in quotes",
    HOUR_MINUTE: "must be a UTC time as HH:MM, e.g. '05:00'",
    IAM_PRINCIPAL_ARN: "must be the ARN of an IAM role, user or account root, e.g. "
    "'arn:aws:iam::111122223333:role/OpsEngineers'",
    OPERATOR_NAME: "must be a Linux user name of 2-32 characters: a lowercase letter, then lowercase letters, digits, "
    "'_' or '-'",
    OWNER: "may hold only letters, digits, spaces and . @ + - _ (it becomes a tag value)",
    DB_INSTANCE_CLASS: "must be an RDS instance class such as 'db.m7g.large'",
    EC2_INSTANCE_TYPE: "must be an EC2 instance type such as 't3.micro'",
    DAILY_WINDOW: "must be a daily UTC window as HH:MM-HH:MM, e.g. '03:00-03:30'",
    WEEKLY_WINDOW: "must be a weekly UTC window as ddd:HH:MM-ddd:HH:MM in lowercase, e.g. 'sun:08:00-sun:09:00'",
    DNS_NAME: "must be a lowercase DNS name such as 'app.example.com'",
    HOSTED_ZONE_ID: "must be a Route 53 hosted zone ID: 'Z' and up to 31 capitals or digits",
    SIGN_IN_PREFIX: "must be 1-63 lowercase letters, digits or '-', not starting or ending with '-'",
    CONTAINER_IMAGE: "must be a container image with a tag or a digest, e.g. 'repo/name:1.2' or "
    "'repo/name@sha256:<64 hex digits>'",
}
