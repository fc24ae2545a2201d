"""Routes: every endpoint answers the same with or without a trailing slash, and any
other path under /ocpi/ answers an OCPI envelope 404."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

PATHS = [
    "versions",
    "2.2.1",
    "2.2.1/credentials",
    "2.2.1/locations",
    "2.2.1/locations/LOC-1",
    "2.2.1/locations/LOC-1/CP-1-1",
    "2.2.1/locations/LOC-1/CP-1-1/1",
    "2.2.1/tariffs",
    "2.2.1/sessions",
    "2.2.1/cdrs",
    "2.2.1/tokens/DE/EMS/NOPE?type=RFID",
    "public/locations",
    "public/tariffs",
]


def _with_slash(path: str) -> str:
    bare, _, query = path.partition("?")
    return bare + "/" + (f"?{query}" if query else "")


@pytest.mark.parametrize("path", PATHS)
def test_a_trailing_slash_changes_nothing(registered, ocpi_url, published_site, path):
    bare = registered.get(f"{ocpi_url}/{path}")
    slashed = registered.get(f"{ocpi_url}/{_with_slash(path)}")
    assert slashed.status == bare.status, slashed.body
    assert slashed.body["status_code"] == bare.body["status_code"]
    assert slashed.data == bare.data


def test_commands_with_a_trailing_slash(registered, ocpi_url, published_site):
    for url in (f"{ocpi_url}/2.2.1/commands/UNLOCK_CONNECTOR", f"{ocpi_url}/2.2.1/commands/X/"):
        reply = registered.call("POST", url, {"response_url": "not a url"})
        assert reply.status == 200 and reply.body["status_code"] in (1000, 2001), reply.body
    slashed = registered.call("POST", f"{ocpi_url}/2.2.1/commands/UNLOCK_CONNECTOR/", {})
    assert slashed.body["status_code"] == 2001


@pytest.mark.parametrize("path", ["2.2.1/nothing", "2.1.1/", "nothing/here/"])
def test_unknown_paths_answer_an_envelope(registered, ocpi_url, path):
    reply = registered.get(f"{ocpi_url}/{path}")
    assert reply.status == 404
    assert reply.body["status_code"] == 2000 and "timestamp" in reply.body
    assert reply.headers["X-Request-ID"] == "req-1"
