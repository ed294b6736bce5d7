"""The tests' own development PKI, made once per process: the services run
on mutual TLS, as in make run and make up, and the tests call them as a
client with a certificate of the same CA. Importing this module also sets
YIBAO_TLS_* in the environment, so settings loaded and processes started by
the tests speak TLS too."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import grpc

from services.kernel import tls

_pki = tls.write_dev_pki(Path(tempfile.mkdtemp(prefix="yibao-test-tls-")))
SERVICE = _pki["service"]  # what the services present, and use to call each other
CLIENT = _pki["cli"]  # what the tests present as a caller
os.environ.update(tls.secure_env(SERVICE))


def aio_channel(target: str) -> grpc.aio.Channel:
    return tls.aio_channel(target, CLIENT)


def sync_channel(target: str) -> grpc.Channel:
    return tls.sync_channel(target, CLIENT)
