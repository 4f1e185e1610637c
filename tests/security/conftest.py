"""Fixtures of the TLS tests: the throw-away PKI of gen_certs.sh, made once per module."""

import os
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("tls-certs"))
    subprocess.run([os.path.join(HERE, "gen_certs.sh"), d], check=True, timeout=120)
    return d
