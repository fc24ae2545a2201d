"""Bulk registration benchmark: 2,000 stations with passwords in one API call.

Recreates the PostgreSQL database (default chargenet_bench_registration), migrates it,
then registers the stations with POST /api/v1/stations/bulk/ as an operator and prints
the time beside the goal (under 10 s). The call runs in this process (Django's test
client: no socket), on PostgreSQL, with the production settings and hasher.

Usage: python bench/registration.py [--stations 2000] [--connectors 2] [--database-url URL]
"""

import argparse
import os
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/chargenet_bench_registration"
GOAL_SECONDS = 10.0


def recreate_database(database_url: str) -> None:
    base, _, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=2_000)
    parser.add_argument("--connectors", type=int, default=2)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)

    recreate_database(args.database_url)
    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": ""}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargenet.settings")
    sys.path.insert(0, str(ROOT))
    import django

    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic here

    django.setup()
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    from stations.models import ChargingStation

    operator = get_user_model().objects.create_user("bench", is_staff=True)
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=operator).key}")
    body = [
        {
            "station_id": f"REG-{n:05d}",
            "password": f"bench-password-{n:05d}",
            "connector_count": args.connectors,
        }
        for n in range(1, args.stations + 1)
    ]
    cpu, started = cpu_seconds(), time.perf_counter()
    response = client.post("/api/v1/stations/bulk/", body, format="json")
    elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    if response.status_code != 201 or ChargingStation.objects.count() != args.stations:
        print(f"bulk registration failed: HTTP {response.status_code}", file=sys.stderr)
        return 1
    verdict = "met" if elapsed < GOAL_SECONDS else "NOT met"
    print(
        f"{args.stations:,} stations registered in {elapsed:.1f} s "
        f"(goal < {GOAL_SECONDS:.0f} s: {verdict}); {cpu:.1f} CPU-s on "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    if elapsed >= GOAL_SECONDS:
        print(
            "  most of the time is the password hashes (PBKDF2, 5,000 rounds each, on "
            "every core): on a busy machine the cores are shared with other work"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
