"""Station passwords: hashing, rotation and which passwords a handshake accepts.

Station passwords are machine-made secrets of 16-40 characters (OCPP 2.0.1
passwordString), so a few thousand PBKDF2 rounds protect them as well as a million
protect a person's password, and a reconnect storm of thousands of stations does not
spend seconds of CPU per handshake.

Rotation (the `rotate_password` command) never locks a station out:

1. Before the new password is sent, its hash is kept as the station's *pending*
   password: a station that applies it and reconnects at once (OCPP 2.0.1 A01 asks it
   to) is let in even before its answer has been read.
2. The station answers Accepted: the new hash becomes the password, the old one is
   kept as the *previous* password, still accepted, because the station may be in the
   middle of reconnecting with it.
3. The first handshake with the new password ends the grace: the previous password
   is forgotten and refused from then on (HTTP 401).

Rejected or failed (the station said no): the pending hash is dropped, nothing else
changes. No answer (timeout, the socket lost mid-command): the station may or may not
have taken the password, so the pending hash stays accepted; the password itself only
changes when the station answers Accepted or proves it holds the new one by
connecting with it. A password set by hand (admin, API) replaces all three.
"""

import hashlib
import hmac
import os
import secrets
import string
import threading
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password
from django.db import transaction

from stations.models import ChargingStation

HASHER = "station_pbkdf2_sha256"
MIN_LENGTH = 16
# OCPP 2.0.1 part 2 §2.1.4 passwordString; a generated password uses letters and
# digits only, since some stations' Basic-auth code trips over ':' and '|'.
PASSWORD_CHARACTERS = frozenset(string.ascii_letters + string.digits + "*-_=:+|@.")
GENERATED_CHARACTERS = string.ascii_letters + string.digits
# The OCPP 1.6 security whitepaper allows at most 20 bytes (AuthorizationKey is their
# hex form); 20 characters suit every version and still hold ~119 random bits.
GENERATED_LENGTH = 20


class StationPasswordHasher(PBKDF2PasswordHasher):
    algorithm = HASHER
    iterations = 5_000


def station_password_hash(raw: str) -> str:
    return make_password(raw, hasher=HASHER)


def station_password_hash_many(raws: list[str | None]) -> list[str]:
    """The hashes of many passwords ("" for None or ""), on every CPU core.

    The same hasher and cost as one station's password (registration, the handshake
    checks them): a batch is fast because PBKDF2 runs in C with the GIL released, so
    threads hash in parallel, never because a batch is hashed more cheaply.
    """
    wanted = [raw for raw in raws if raw]
    if len(wanted) < 2:
        hashes = iter([station_password_hash(raw) for raw in wanted])
    else:
        with ThreadPoolExecutor(max_workers=min(len(wanted), os.cpu_count() or 1)) as pool:
            hashes = pool.map(station_password_hash, wanted)
    return [next(hashes) if raw else "" for raw in raws]


def station_password_generate() -> str:
    """A new random password every OCPP version accepts."""
    return "".join(secrets.choice(GENERATED_CHARACTERS) for _ in range(GENERATED_LENGTH))


def password_string_error(value: object, max_length: int) -> str | None:
    """Why `value` is no passwordString of 16 to `max_length` characters, or None."""
    if not isinstance(value, str) or not MIN_LENGTH <= len(value) <= max_length:
        return f"Must be {MIN_LENGTH} to {max_length} characters."
    if not set(value) <= PASSWORD_CHARACTERS:
        return "Only letters, digits and * - _ = : + | @ . are allowed."
    return None


class VerifiedPasswords:
    """Passwords a handshake proved right, so the next handshake with them skips PBKDF2.

    Per process, keyed by the stored hash (which holds its own random salt): a password
    changed by hand or by rotation has a new hash, and an entry for the old one is never
    consulted again, so nothing needs invalidating. The station's record itself is read
    at every handshake, so a change made by any process applies at the next one. An
    entry holds an HMAC of the password under a key made at random when the process
    starts, never the password itself, and lives only in that process's memory.
    """

    MAX_ENTRIES = 200_000  # ~30 MiB at most; the oldest go first when full

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._digests: dict[str, bytes] = {}
        self._lock = threading.Lock()  # handshakes are checked on several threads

    def _digest(self, raw: str) -> bytes:
        return hmac.new(self._key, raw.encode(), hashlib.sha256).digest()

    def matches(self, raw: str, encoded: str) -> bool:
        """Whether `raw` is the password `encoded` was made from."""
        if not encoded:
            return False
        known = self._digests.get(encoded)
        if known is not None:
            return hmac.compare_digest(known, self._digest(raw))
        if not check_password(raw, encoded):
            return False
        with self._lock:
            if len(self._digests) >= self.MAX_ENTRIES:
                del self._digests[next(iter(self._digests))]
            self._digests[encoded] = self._digest(raw)
        return True

    def clear(self) -> None:
        with self._lock:
            self._digests.clear()


verified_passwords = VerifiedPasswords()


def station_password_offer(*, station_pk: int, raw: str) -> None:
    """Accept `raw` as the pending password while it is being sent to the station."""
    ChargingStation.objects.filter(pk=station_pk).update(
        password_pending=station_password_hash(raw)
    )


@transaction.atomic
def station_password_settle(*, station_pk: int, raw: str, status: str) -> bool:
    """Record the station's answer to a rotation; True when the new password is in force.

    `status` is the command's: accepted promotes the password, rejected/failed forget
    it, anything else (timeout, offline) leaves it pending (see the module docstring).
    """
    station = ChargingStation.objects.select_for_update(no_key=True).get(pk=station_pk)
    ours = bool(station.password_pending) and check_password(raw, station.password_pending)
    if status == "accepted":
        if not check_password(raw, station.password):  # not promoted by a handshake yet
            station.password_previous = station.password
            station.password = station_password_hash(raw)
        if ours:
            station.password_pending = ""
        station.save(update_fields=["password", "password_previous", "password_pending"])
        return True
    if status in ("rejected", "failed") and ours:
        station.password_pending = ""
        station.save(update_fields=["password_pending"])
    return False


def station_password_admit(station, raw: str) -> bool:
    """Whether a handshake's password opens the station; ends a rotation's grace.

    The current password ends the previous one's grace; a pending one the station
    connects with becomes the password (the station evidently holds it).
    """
    matches = verified_passwords.matches
    if matches(raw, station.password):
        if station.password_previous:
            ChargingStation.objects.filter(pk=station.pk, password=station.password).update(
                password_previous=""
            )
        return True
    if matches(raw, station.password_pending):
        ChargingStation.objects.filter(
            pk=station.pk, password_pending=station.password_pending
        ).update(password=station.password_pending, password_previous="", password_pending="")
        return True
    return matches(raw, station.password_previous)
