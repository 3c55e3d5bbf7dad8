"""The names an environment's stacks give their resources, derived from config the way the stacks derive them.

Kept in step with stacks/ and constructs/ by tests/test_ops_names.py, which compares these names with the
synthesized templates (this package must not import the stacks). Where a name is only knowable from a template
(generated bucket names, key-pair names that may carry a fingerprint), the commands read the live CloudFormation
stacks or the cloud assembly instead (`ops.environment`, `ops.assembly`).
"""

from __future__ import annotations

from dataclasses import dataclass

from config import EnvironmentConfig
from config.limits import ENVIRONMENT_TAG

STACK_PURPOSES = ("network", "bastion", "data-dr", "data", "backup-dr", "backup")
BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_PARAMETER = f"/cdk-bootstrap/{BOOTSTRAP_QUALIFIER}/version"
BOOTSTRAP_STACK = "CDKToolkit"
# `cdk deploy` of the pinned CLI refuses a bootstrap older than the assembly's requiresBootstrapStackVersion (6).
MIN_BOOTSTRAP_VERSION = 6
TIERS = ("daily", "weekly", "biweekly", "monthly")


@dataclass(frozen=True)
class PlannedName:
    """A physical name a stack will create: creating it fails if something else already holds it."""

    kind: str  # bucket, log group, backup vault, key pair, DB instance
    name: str
    region: str
    stack: str


@dataclass(frozen=True)
class EnvironmentNames:
    env: EnvironmentConfig

    @property
    def tag(self) -> tuple[str, str]:
        return ENVIRONMENT_TAG, self.env.name

    def stack(self, purpose: str) -> str:
        return f"{self.env.name}-{purpose}"

    @property
    def database(self) -> str:
        return f"{self.env.name}-postgres"

    @property
    def primary_vault(self) -> str:
        return f"{self.env.name}-primary"

    @property
    def dr_vault(self) -> str:
        return f"{self.env.name}-dr"

    @property
    def tiered_plan(self) -> str:
        return f"{self.env.name}-tiered"

    def key_alias(self, purpose_path: str) -> str:
        """e.g. key_alias("data/database") -> alias/acme-prod/data/database."""
        return f"alias/{self.env.name}/{purpose_path}"

    @property
    def alias_prefix(self) -> str:
        return f"alias/{self.env.name}/"

    def replica_bucket(self, account: str) -> str:
        return f"{self.env.name}-data-replica-{account}-{self.env.dr_region}"

    def key_pair_prefix(self, operator: str) -> str:
        """Key-pair names start with this; a suffix (e.g. a key fingerprint) may follow."""
        return f"{self.env.name}-{operator}"

    def planned(self, account: str) -> list[PlannedName]:
        """Names the stacks set explicitly, from config alone (preflight adds those the assembly declares)."""
        env, home, dr = self.env.name, self.env.region, self.env.dr_region
        names = [
            PlannedName("bucket", self.replica_bucket(account), dr, self.stack("data-dr")),
            PlannedName("backup vault", self.primary_vault, home, self.stack("backup")),
            PlannedName("backup vault", self.dr_vault, dr, self.stack("backup-dr")),
            PlannedName("DB instance", self.database, home, self.stack("data")),
            PlannedName("log group", f"/{env}/bastion/secure", home, self.stack("bastion")),
            PlannedName("log group", f"/{env}/bastion/audit", home, self.stack("bastion")),
        ]
        names += [
            PlannedName("log group", f"/aws/rds/instance/{self.database}/{log}", home, self.stack("data"))
            for log in ("postgresql", "upgrade")
        ]
        # Key pairs as the bastion names them today; when a name gains a suffix, pass --assembly for the exact one.
        names += [
            PlannedName("key pair", self.key_pair_prefix(op.name), home, self.stack("bastion"))
            for op in self.env.operators
        ]
        return names
