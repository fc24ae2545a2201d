"""A handshake's password proved right once is checked again without PBKDF2, and a
changed password is never let in by what was remembered of the old one."""

import time

import pytest
from django.contrib.auth import hashers

from stations.models import ChargingStation
from stations.services import passwords
from stations.services.passwords import station_password_admit, verified_passwords
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db

PASSWORD = "first-password-0001"
OTHER = "second-password-0002"


@pytest.fixture
def pbkdf2_calls(monkeypatch):
    calls = []
    real = hashers.check_password

    def counting(raw, encoded, *args, **kwargs):
        calls.append(encoded)
        return real(raw, encoded, *args, **kwargs)

    monkeypatch.setattr(passwords, "check_password", counting)
    verified_passwords.clear()
    return calls


def fresh(station: ChargingStation) -> ChargingStation:
    return ChargingStation.objects.get(pk=station.pk)


def test_the_second_handshake_with_the_right_password_skips_the_hash(pbkdf2_calls):
    station = make_station("CP-1", password=PASSWORD)
    assert station_password_admit(fresh(station), PASSWORD)
    assert len(pbkdf2_calls) == 1
    for _ in range(3):
        assert station_password_admit(fresh(station), PASSWORD)
    assert len(pbkdf2_calls) == 1
    assert not station_password_admit(fresh(station), OTHER)


def test_a_changed_password_is_checked_against_the_new_hash(pbkdf2_calls):
    station = make_station("CP-1", password=PASSWORD)
    assert station_password_admit(fresh(station), PASSWORD)
    station.set_password(OTHER)
    station.save()
    assert not station_password_admit(fresh(station), PASSWORD)
    assert station_password_admit(fresh(station), OTHER)


def test_a_rotation_ends_the_old_password_s_grace_despite_the_cache(pbkdf2_calls):
    station = make_station("CP-1", password=PASSWORD)
    assert station_password_admit(fresh(station), PASSWORD)  # remembered
    passwords.station_password_offer(station_pk=station.pk, raw=OTHER)
    assert passwords.station_password_settle(station_pk=station.pk, raw=OTHER, status="accepted")
    assert station_password_admit(fresh(station), PASSWORD)  # the previous one, in grace
    assert station_password_admit(fresh(station), OTHER)  # ends the grace
    assert not station_password_admit(fresh(station), PASSWORD)


def test_a_removed_password_is_not_remembered(pbkdf2_calls):
    station = make_station("CP-1", password=PASSWORD)
    assert station_password_admit(fresh(station), PASSWORD)
    station.set_password(None)
    station.save()
    assert not station_password_admit(fresh(station), PASSWORD)


def test_the_cache_is_bounded(monkeypatch):
    cache = passwords.VerifiedPasswords()
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    hashes = [passwords.station_password_hash(f"password-number-{n:04d}") for n in range(3)]
    for n, encoded in enumerate(hashes):
        assert cache.matches(f"password-number-{n:04d}", encoded)
    assert list(cache._digests) == hashes[1:]


def test_a_remembered_check_is_much_cheaper(capsys):
    encoded = passwords.station_password_hash(PASSWORD)
    cache = passwords.VerifiedPasswords()
    started = time.perf_counter()
    cache.matches(PASSWORD, encoded)
    first = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(100):
        cache.matches(PASSWORD, encoded)
    again = (time.perf_counter() - started) / 100
    with capsys.disabled():
        print(
            f"\npassword check: {first * 1000:.2f} ms with PBKDF2, {again * 1e6:.1f} µs remembered"
        )
