"""The asyncio network backend under httpcore: TLS, timeouts and errors as httpcore's."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import httpcore
import pytest

from calbot.proxy.network import AsyncioBackend


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def test_tls_reads_and_writes_through_start_tls(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))

    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"got " + await reader.read(100))
        await writer.drain()
        writer.close()

    async def run() -> tuple[bytes, object]:
        server = await asyncio.start_server(echo, "127.0.0.1", 0, ssl=server_context)
        port = server.sockets[0].getsockname()[1]
        async with server:
            plain = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
            stream = await plain.start_tls(client_context, server_hostname="localhost", timeout=5)
            await stream.write(b"hello", timeout=5)
            answer = await stream.read(100, timeout=5)
            tls = stream.get_extra_info("ssl_object")
            await stream.aclose()
        return answer, tls

    answer, tls = asyncio.run(asyncio.wait_for(run(), 20))
    assert answer == b"got hello" and isinstance(tls, ssl.SSLObject)


def test_a_wrong_certificate_is_a_connect_error(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)

    async def run() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0, ssl=server_context)
        port = server.sockets[0].getsockname()[1]
        async with server:
            plain = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
            await plain.start_tls(ssl.create_default_context(), "localhost", timeout=5)

    with pytest.raises(httpcore.ConnectError):
        asyncio.run(asyncio.wait_for(run(), 20))


def test_a_silent_peer_is_a_read_timeout_and_a_refused_one_a_connect_error() -> None:
    async def run() -> None:
        server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
            assert stream.get_extra_info("is_readable") is False
            with pytest.raises(httpcore.ReadTimeout):
                await stream.read(10, timeout=0.05)
            await stream.aclose()
        with pytest.raises(httpcore.ConnectError):
            await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)

    asyncio.run(asyncio.wait_for(run(), 20))
