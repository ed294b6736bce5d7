"""TLS on every gRPC port, mutual between all parties: a server presents its
certificate and asks for the caller's; both must chain to the configured CA
(YIBAO_TLS_CA_FILE). Plaintext only when YIBAO_TLS_PLAINTEXT says so.

``make run`` and ``make up`` create a throwaway development CA with one
certificate for the services and one for the CLI (``write_dev_pki``), so
the secure path is the path a newcomer takes."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEV_DIR = ".run/tls"  # where yibao run writes the development set (the settings' default)
# Names a development certificate answers to: loopback, and the compose services
# (with the `federated` profile's account shards and transfer replicas).
DEV_NAMES = (
    "localhost",
    "region",
    "account",
    "transfer",
    "index",
    "gateway",
    "account-gx",
    "account-bj",
    "transfer-fed-1",
    "transfer-fed-2",
)
DEV_ADDRESSES = ("127.0.0.1", "::1")


@dataclass(frozen=True)
class TlsFiles:
    """PEM files: the CA that signs every party, and this party's certificate and key."""

    ca: str
    cert: str
    key: str

    def read(self) -> tuple[bytes, bytes, bytes]:
        try:
            return tuple(Path(p).read_bytes() for p in (self.ca, self.cert, self.key))  # type: ignore[return-value]
        except FileNotFoundError as missing:
            raise RuntimeError(
                f"TLS file {missing.filename} is missing: set YIBAO_TLS_CA_FILE, YIBAO_TLS_CERT_FILE and "
                "YIBAO_TLS_KEY_FILE (make run writes a development set in .run/tls), "
                "or YIBAO_TLS_PLAINTEXT=true"
            ) from None


def secure_env(files: TlsFiles) -> dict[str, str]:
    """The YIBAO_TLS_* variables that give a process these files."""
    return {"YIBAO_TLS_CA_FILE": files.ca, "YIBAO_TLS_CERT_FILE": files.cert, "YIBAO_TLS_KEY_FILE": files.key}


def grpc_target(target: str) -> tuple[str, list[tuple[str, str | int]]]:
    """The target in gRPC's syntax, and the channel options it needs. A list
    of IP addresses (``10.0.0.5:50052,10.0.0.6:50052``) becomes gRPC's
    ``ipv4:…`` (``ipv6:…``) list, whose authority (the name the server's
    certificate must carry) is the first address; anything else is used as
    given (``host:port``, or ``dns:///name:port`` for a name with several
    addresses). Calls are spread round robin over every address."""
    options: list[tuple[str, str | int]] = [("grpc.lb_policy_name", "round_robin")]
    if "," not in target or re.match(r"^(ipv4|ipv6|dns|unix|unix-abstract|vsock):", target):
        return target, options
    first = target.split(",")[0]
    scheme = "ipv6:" if first.startswith("[") else "ipv4:"
    return scheme + target, [*options, ("grpc.default_authority", first)]


def aio_channel(target: str, files: TlsFiles | None, options=()) -> grpc.aio.Channel:
    """An asyncio channel: mutual TLS with ``files``, plaintext without."""
    target, balanced = grpc_target(target)
    options = [*balanced, *options]
    if files is None:
        return grpc.aio.insecure_channel(target, options=options)
    return grpc.aio.secure_channel(target, channel_credentials(files), options=options)


def sync_channel(target: str, files: TlsFiles | None) -> grpc.Channel:
    """A blocking channel (the CLI's): mutual TLS with ``files``, plaintext without."""
    target, options = grpc_target(target)
    if files is None:
        return grpc.insecure_channel(target, options=options)
    return grpc.secure_channel(target, channel_credentials(files), options=options)


def server_credentials(files: TlsFiles) -> grpc.ServerCredentials:
    ca, cert, key = files.read()
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=True)


def channel_credentials(files: TlsFiles) -> grpc.ChannelCredentials:
    ca, cert, key = files.read()
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "yibao-wallet development"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_dev_pki(directory: Path, days: int = 30) -> dict[str, TlsFiles]:
    """A development CA and two certificates signed by it — ``service``
    (server and client, for the names above) and ``cli`` (client) — as PEM
    files in ``directory``; kept when already there, still valid a day and
    naming every one of ``DEV_NAMES`` (a set from before a name was added is
    made anew)."""
    directory.mkdir(parents=True, exist_ok=True)
    parties = {
        name: TlsFiles(
            str(directory / "ca.pem"), str(directory / f"{name}.pem"), str(directory / f"{name}-key.pem")
        )
        for name in ("service", "cli")
    }
    ca_file = directory / "ca.pem"
    if ca_file.exists() and all(Path(f.cert).exists() for f in parties.values()):
        ca_cert = x509.load_pem_x509_certificate(ca_file.read_bytes())
        service = x509.load_pem_x509_certificate(Path(parties["service"].cert).read_bytes())
        named = service.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        valid = ca_cert.not_valid_after_utc > datetime.now(UTC) + timedelta(days=1)
        if valid and set(DEV_NAMES) <= set(named.get_values_for_type(x509.DNSName)):
            return parties
    now = datetime.now(UTC) - timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("yibao-wallet development CA"))
        .issuer_name(_name("yibao-wallet development CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    usages = {
        "service": [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
        "cli": [ExtendedKeyUsageOID.CLIENT_AUTH],
    }
    for name, files in parties.items():
        key = ec.generate_private_key(ec.SECP256R1())
        alt = [x509.DNSName(n) for n in DEV_NAMES] + [
            x509.IPAddress(ipaddress.ip_address(a)) for a in DEV_ADDRESSES
        ]
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"yibao {name}"))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.ExtendedKeyUsage(usages[name]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        Path(files.cert).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        Path(files.key).write_bytes(_pem_key(key))
    return parties
