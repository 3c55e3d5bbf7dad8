"""SSH public key validation for operator keys (ACC-2, ENC-1).

EC2 key pairs import only RSA and Ed25519 keys; of the RSA lengths EC2 documents (1024, 2048, 4096), 1024 is too
weak, so RSA keys must be 2048 or 4096 bits: a 3072-bit key is refused here rather than by ImportKeyPair at deploy.
Parsing is done by `cryptography`, not by hand, so a truncated or corrupted key is caught too.
"""

from __future__ import annotations

from typing import Annotated

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key
from pydantic import AfterValidator

from config import limits

ALLOWED = f"ssh-ed25519, or ssh-rsa of {' or '.join(map(str, limits.SSH_RSA_BITS))} bits"


def check_ssh_public_key(text: str) -> str:
    """Return the key as `type base64 [comment]` on one line, or raise ValueError saying what is allowed."""
    normalized = " ".join(text.split())
    if "PRIVATE KEY" in normalized:
        raise ValueError(
            "this is a private key: paste the public key (the .pub file, one line starting ssh-ed25519 or ssh-rsa) "
            "and keep the private key off this file; if it was committed, treat it as leaked and make a new one"
        )
    try:
        key = load_ssh_public_key(normalized.encode())
    except (ValueError, UnsupportedAlgorithm) as error:
        raise ValueError(f"is not a valid OpenSSH public key ({error}); allowed: {ALLOWED}") from None
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < limits.SSH_RSA_MIN_BITS:
            raise ValueError(f"is an RSA key of {key.key_size} bits, too weak; allowed: {ALLOWED}")
        if key.key_size not in limits.SSH_RSA_BITS:
            raise ValueError(
                f"is an RSA key of {key.key_size} bits, a length EC2 does not document for key pairs; "
                f"allowed: {ALLOWED}"
            )
    elif not isinstance(key, ed25519.Ed25519PublicKey):
        raise ValueError(f"has a key type EC2 key pairs do not accept; allowed: {ALLOWED}")
    return normalized


SshPublicKey = Annotated[str, AfterValidator(check_ssh_public_key)]
