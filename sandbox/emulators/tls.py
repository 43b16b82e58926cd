"""A self-signed certificate for 127.0.0.1/localhost, for emulators whose clients require HTTPS."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class CertPair:
    """PEM files: the certificate (also the CA bundle clients trust) and its private key."""

    cert: Path
    key: Path


_PROCESS_PEMS: tuple[bytes, bytes] | None = None


def ensure_certificate(folder: Path) -> CertPair:
    """A certificate valid for localhost and 127.0.0.1, written to `folder` once.

    Every folder written by one process gets the same certificate: gRPC reads its trusted roots
    (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH) once per process, so all TLS emulators a process talks to
    must share one.
    """
    global _PROCESS_PEMS
    pair = CertPair(folder / "sandbox-cert.pem", folder / "sandbox-key.pem")
    if pair.cert.exists() and pair.key.exists():
        return pair
    folder.mkdir(parents=True, exist_ok=True)
    if _PROCESS_PEMS is None:
        _PROCESS_PEMS = _new_pems()
    pair.key.write_bytes(_PROCESS_PEMS[0])
    pair.cert.write_bytes(_PROCESS_PEMS[1])
    return pair


def _new_pems() -> tuple[bytes, bytes]:
    """A fresh EC key and self-signed certificate, PEM-encoded."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mdp sandbox")])
    now = dt.datetime.now(dt.UTC)
    alt_names = x509.SubjectAlternativeName(
        [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(alt_names, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)
