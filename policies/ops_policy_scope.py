"""ACC-3: the published ops policies (policies/iam/ops-*.json) are scoped, not just sufficient.

tests/test_ops_policies.py proves each policy covers every call its command makes; this module says what makes a
statement over-broad, so that test (and its probes) can refuse one:

- a write (any action that is not Describe/Get/List/Head) on `"*"`;
- a data read (`DATA_READS`: SSM parameter values, bucket listings, object and secret reads) on `"*"` or on all of
  a service's resources, e.g. every SSM parameter including the SecureStrings under `aws/ssm`;
- a tag-setting grant (`aws:RequestTag` conditions or a tagging action) without `ForAllValues aws:TagKeys`
  bounding the keys a request may set;
- `kms:CreateGrant` without `kms:GrantIsForAWSResource` (a grant for an AWS service acting on the caller's behalf,
  not one the caller could hand to anyone).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

READ_PREFIXES = ("Describe", "Get", "List", "Head")
DATA_READS = frozenset(
    {
        "ssm:getparameter",
        "ssm:getparameters",
        "ssm:getparametersbypath",
        "s3:listbucket",
        "s3:getobject",
        "secretsmanager:getsecretvalue",
        "kms:decrypt",
    }
)
TAGGING_ACTIONS = frozenset({"rds:addtagstoresource", "ec2:createtags", "s3:putobjecttagging", "kms:tagresource"})
# A resource pattern that reaches every resource of its service: "*", or an ARN whose resource part is "*" or
# "<type>/*" (e.g. arn:aws:ssm:*:*:parameter/*, arn:aws:s3:::*).
ALL_OF_A_SERVICE = re.compile(r"^\*$|^arn:[^:]*:[^:]*:[^:]*:[^:]*:(\*|[A-Za-z-]+[/:]\*)$")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def is_read(action: str) -> bool:
    return action.split(":", 1)[1].startswith(READ_PREFIXES)


def _condition_keys(statement: Mapping[str, Any]) -> dict[str, set[str]]:
    """Condition key (lowercased) -> the operators it appears under."""
    keys: dict[str, set[str]] = {}
    for operator, block in (statement.get("Condition") or {}).items():
        for key in block:
            keys.setdefault(key.lower(), set()).add(operator)
    return keys


def over_broad_statements(policy: Mapping[str, Any]) -> Iterator[str]:
    """Yield `<Sid>: <why>` for each Allow statement that grants more than a scoped tool needs."""
    for index, statement in enumerate(_as_list(policy.get("Statement", []))):
        if statement.get("Effect") != "Allow":
            continue
        name = statement.get("Sid") or f"Statement {index}"
        actions = [str(action) for action in _as_list(statement.get("Action", []))]
        resources = [str(resource) for resource in _as_list(statement.get("Resource", []))]
        everything = any(ALL_OF_A_SERVICE.match(resource) for resource in resources)
        keys = _condition_keys(statement)
        for action in actions:
            if not is_read(action) and "*" in resources:
                yield f"{name}: {action} may change any resource (Resource *)"
            if action.lower() in DATA_READS and everything:
                yield f"{name}: {action} reads every resource of its service ({', '.join(resources)})"
        tags_set = any(key.startswith("aws:requesttag/") for key in keys) or any(
            action.lower() in TAGGING_ACTIONS for action in actions
        )
        if tags_set and not any(op.startswith("ForAllValues:") for op in keys.get("aws:tagkeys", ())):
            yield f"{name}: sets tags without ForAllValues aws:TagKeys bounding their keys"
        if any(action.lower() == "kms:creategrant" for action in actions) and "kms:grantisforawsresource" not in keys:
            yield f"{name}: kms:CreateGrant without kms:GrantIsForAWSResource"
