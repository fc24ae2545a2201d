"""Password hashing for stations.

Station passwords are machine-made secrets of 16-40 characters (OCPP 2.0.1
passwordString), so a few thousand PBKDF2 rounds protect them as well as a million
protect a person's password, and a reconnect storm of thousands of stations does not
spend seconds of CPU per handshake.
"""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class StationPasswordHasher(PBKDF2PasswordHasher):
    algorithm = "station_pbkdf2_sha256"
    iterations = 5_000
