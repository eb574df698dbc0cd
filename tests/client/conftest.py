from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.client.fake_server import FakeDynamoDB


@pytest.fixture(scope="session")
def _server() -> Iterator[FakeDynamoDB]:
    server = FakeDynamoDB()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake(_server: FakeDynamoDB) -> Iterator[FakeDynamoDB]:
    """The shared fake server, with an empty script and call log for each test."""
    _server.reset()
    yield _server
    _server.reset()
