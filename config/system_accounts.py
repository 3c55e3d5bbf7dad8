"""Names an operator may not take on the bastion (ACC-2, ACC-4: a personal account per person).

The bastion runs Amazon Linux 2023 and creates each operator with `useradd <name>`, which also creates a group of the
same name. A name that is already a user or a group of the image either fails the first boot (useradd refuses it) or,
worse, hands a person a service's account. The lists hold:

- the accounts and groups of the `setup` package, which writes the base `/etc/passwd` and `/etc/group` of
  Fedora-based distributions, AL2023 among them (root ... nobody; uidgid reservations);
- the service accounts the packages of the AL2023 AMI create (systemd's, dbus, chrony, sshd, rpcbind's `rpc`,
  nfs-utils' `rpcuser`, tpm2-tss' `tss`, polkit, libstoragemgmt, EC2 Instance Connect, unbound);
- `ec2-user`, the AMI's default user (EC2 User Guide, "Manage system users on your Amazon EC2 Linux instance"), and
  `ssm-user`, which the SSM Agent creates for Session Manager.

Any name starting with `systemd-` is refused as well: systemd adds such accounts as its units need them.
Assembled from those packages' account definitions, not read from a running instance: re-check on an AMI upgrade
(`getent passwd; getent group` on the bastion).
"""

from __future__ import annotations

from typing import Final

SYSTEM_USERS: Final = frozenset(
    {
        # setup package: /etc/passwd
        "root", "bin", "daemon", "adm", "lp", "sync", "shutdown", "halt", "mail", "operator", "games", "ftp",
        "nobody",
        # packages of the AL2023 AMI
        "dbus", "chrony", "sshd", "rpc", "rpcuser", "tss", "polkitd", "libstoragemgmt", "unbound",
        "ec2-instance-connect", "systemd-coredump", "systemd-network", "systemd-oom", "systemd-resolve",
        "systemd-timesync", "systemd-journal",
        # default and agent users
        "ec2-user", "ssm-user",
    }
)  # fmt: skip
SYSTEM_GROUPS: Final = frozenset(
    {
        # setup package: /etc/group
        "root", "bin", "daemon", "sys", "adm", "tty", "disk", "lp", "mem", "kmem", "wheel", "cdrom", "mail", "man",
        "dialout", "floppy", "games", "tape", "video", "ftp", "lock", "audio", "users", "nobody", "utmp", "utempter",
        "input", "kvm", "render", "sgx", "ssh_keys", "systemd-journal",
    }
)  # fmt: skip
SYSTEM_PREFIXES: Final = ("systemd-",)


def is_system_account(name: str) -> bool:
    """True when `useradd name` on the bastion would collide with an account or group of the image."""
    return name in SYSTEM_USERS or name in SYSTEM_GROUPS or name.startswith(SYSTEM_PREFIXES)
