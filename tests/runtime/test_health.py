"""The balancer's liveness check is answered without Django or the database."""

import pytest
from asgiref.testing import ApplicationCommunicator

from chargenet.asgi import application


async def get(path: str) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1")],
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(5)
    body = await communicator.receive_output(5)
    return start["status"], body["body"]


async def test_healthz_answers_ok_without_the_database():
    # No django_db mark: pytest-django fails any database access here.
    assert await get("/healthz") == (200, b"ok\n")


@pytest.mark.django_db
async def test_other_paths_still_reach_django():
    status, _ = await get("/admin/login/")
    assert status == 200
