"""The edge's TLS certificate (ENC-1): ACM-issued, RSA 2048, DNS-validated in the configured hosted zone.

ACM renews a DNS-validated certificate by itself (managed renewal) for as long as the validation CNAME stays in the
zone and the certificate is in use, so no one has to rotate it. The zone is named by ID and name, never looked up,
so synth needs no AWS credentials.
"""

from __future__ import annotations

from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53

from constructs import Construct


class EdgeCertificate(Construct):
    """Exposes `zone` and `certificate`."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain: str,
        hosted_zone_id: str,
        hosted_zone_name: str,
        key_algorithm: str = "RSA_2048",
    ) -> None:
        super().__init__(scope, construct_id)
        self.zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=hosted_zone_id, zone_name=hosted_zone_name
        )
        self.certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=domain,
            validation=acm.CertificateValidation.from_dns(self.zone),
            key_algorithm=acm.KeyAlgorithm(key_algorithm),
        )
