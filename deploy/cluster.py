#!/usr/bin/env python3
"""ChargeNet in its production shape on one machine: HAProxy, N daphne, Celery.

    deploy/cluster.py start [--processes 2] [--port 8080] [--tls-port 8443] ...
    deploy/cluster.py status
    deploy/cluster.py stop

`start` creates the PostgreSQL database if it is missing and migrates it, makes a
test TLS certificate (deploy/make-test-cert.sh), writes the HAProxy config from
deploy/haproxy.cfg.in, then starts supervisord (Debian's `supervisor` package) with
one program each for: N daphne processes (`manage.py serve --proxy-headers`), a
Celery worker, Celery beat and HAProxy in front of the daphnes on PORT (ws://, http://)
and TLS_PORT (wss://, https://, OCPP security profile 2), and on MTLS_PORT, if
given, wss:// with a client certificate verified against CLIENT_CA (default
OCPP_CA_CERT; security profile 3: ChargeNet matches the certificate's name to the
station id). supervisord restarts a
program that exits, at once if it had run a while and with a growing back-off if it
keeps dying at start; each program's output goes to NAME.log in the cluster
directory (rotated by supervisord). `start` returns once every daphne passes HAProxy's
health check, and fails at once, with its log's last lines, if a program dies at its
start. `status` shows each program's state as supervisorctl reports it;
`stop` has supervisord stop every program and exit. The generated configs, the
certificate and the logs live in the cluster directory (var/cluster/).

Configuration (flags win over the environment): DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/chargenet_cluster), REDIS_URL (default
redis://127.0.0.1:6379/1), PORT (8080), TLS_PORT (8443), DAPHNE_PROCESSES (2),
DAPHNE_PORT (8101: the daphnes listen on 8101, 8102, ...), CLUSTER_DIR (var/cluster),
SECRET_KEY (else one is generated once and kept in the cluster directory), HTTPS (1:
the daphnes run with HTTPS=1 behind HAProxy's TLS port), SECURE_SSL_REDIRECT (0).
"""

import argparse
import contextlib
import json
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/chargenet_cluster"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"
STATE_FILE = "cluster.json"
#: Environment variable marking a process as started by the cluster in one directory;
#: `stop` signals a PID only when its environment still carries it.
MARKER = "CHARGENET_CLUSTER_DIR"
STOP_ORDER = ("supervisord", "simulator", "haproxy", "daphne", "beat", "worker")


class ClusterError(Exception):
    pass


def log(message: str) -> None:
    print(f"cluster: {message}", flush=True)


# --- arguments ---------------------------------------------------------------------


def default_maxconn() -> int:
    """As many connections as the hard file descriptor limit lets HAProxy hold.

    Each balanced connection costs HAProxy two descriptors (station and daphne side).
    """
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    return max(1000, min(50_000, (hard - 1000) // 2))


def parse_args(argv=None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(
        description="Start, stop or show ChargeNet's local production-shaped cluster."
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--dir", default=env("CLUSTER_DIR", str(ROOT / "var" / "cluster")))
    parser.add_argument("--processes", type=int, default=int(env("DAPHNE_PROCESSES", "2")))
    parser.add_argument("--bind", default=env("CLUSTER_BIND", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("PORT", "8080")))
    parser.add_argument("--tls-port", type=int, default=int(env("TLS_PORT", "8443")))
    parser.add_argument(
        "--mtls-port",
        type=int,
        default=int(env("MTLS_PORT", "0")),
        help="wss:// with client certificates (security profile 3); 0: none.",
    )
    parser.add_argument(
        "--client-ca",
        default=env("CLIENT_CA") or env("OCPP_CA_CERT", ""),
        help="PEM of the CA(s) station certificates are verified against (default: OCPP_CA_CERT).",
    )
    parser.add_argument(
        "--daphne-port",
        default=env("DAPHNE_PORT", "8101"),
        help="First daphne port (the next ones follow), or 'auto' for free ports.",
    )
    parser.add_argument("--database-url", default=env("DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=env("REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument(
        "--maxconn",
        type=int,
        default=int(env("HAPROXY_MAXCONN", "0")) or default_maxconn(),
        help="HAProxy's connection limit (default: what the file descriptor limit allows).",
    )
    parser.add_argument("--celery-concurrency", type=int, default=2)
    parser.add_argument("--no-celery", action="store_true", help="No Celery worker nor beat.")
    parser.add_argument("--no-migrate", action="store_true", help="The database is ready.")
    parser.add_argument("--demo", action="store_true", help="Load the demo network.")
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="Also run the demo network's simulator through the balancer.",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Extra environment for the daphne and Celery processes (repeatable).",
    )
    parser.add_argument("--timeout", type=float, default=90.0, help="Seconds to come up.")
    args = parser.parse_args(argv)
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    if args.mtls_port and not args.client_ca:
        parser.error("--mtls-port needs --client-ca (or CLIENT_CA / OCPP_CA_CERT)")
    args.dir = Path(args.dir).resolve()
    return args


# --- processes ---------------------------------------------------------------------


def _raise_fd_limit() -> None:
    """Thousands of station sockets need thousands of file descriptors."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def is_ours(pid: int, directory: Path) -> bool:
    """True while `pid` runs with this cluster's marker in its environment."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{MARKER}={directory}".encode() in environ.split(b"\0")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (our own exited child) is not alive.
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z"):
            return False
    return True


def terminate(record: dict, directory: Path, grace: float = 10.0) -> None:
    """SIGTERM the process group of one recorded process, SIGKILL it after `grace`."""
    pid = record["pid"]
    if not is_ours(pid, directory):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and alive(pid):
        time.sleep(0.1)
    if alive(pid) and is_ours(pid, directory):
        log(f"{record['name']} (pid {pid}) ignored SIGTERM; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)


def port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), 0.5):
        return True
    return False


def free_port(taken: tuple[int, ...] = ()) -> int:
    """A free port on 127.0.0.1 below the kernel's ephemeral range.

    A daphne binds its port seconds after the choice (it loads Django first). A port
    from bind(0) could meanwhile become the local end of another process's connection
    to PostgreSQL or Redis, and the daphne would fail to listen; one outside that range
    never does.
    """
    low = ephemeral_ports()[0]
    for _ in range(200):
        port = random.randrange(FIRST_FREE_PORT, low) if low > FIRST_FREE_PORT else 0
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            port = sock.getsockname()[1]
        if port not in taken:
            return port
    raise ClusterError("no free port on 127.0.0.1")


#: The lowest port `free_port` hands out (below it: well-known services' ports).
FIRST_FREE_PORT = 10000


def ephemeral_ports() -> tuple[int, int]:
    """The range the kernel takes local ports of outgoing connections from."""
    with contextlib.suppress(OSError, ValueError):
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    return 32768, 60999


def tail(path: str, lines: int = 20) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    return ""


# --- supervisord ---------------------------------------------------------------------

SUPERVISOR_CONF = "supervisord.conf"
#: A program that dies within this many seconds of its start counts as a failed start:
#: supervisord tries again after 1, 2, 3, ... seconds, STARTRETRIES times, then gives up.
STARTSECS = 3
STARTRETRIES = 30


def ensure_supervisor() -> tuple[str, str]:
    found = shutil.which("supervisord"), shutil.which("supervisorctl")
    if all(found):
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("supervisor is missing: apt-get install -y supervisor")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "supervisor"]
        if subprocess.run(install, env=env, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
            subprocess.run(install, env=env, check=True)
        if all(found := (shutil.which("supervisord"), shutil.which("supervisorctl"))):
            return found
    raise ClusterError("supervisor is not installed: sudo apt-get install -y supervisor")


def _quote(argv: list[str]) -> str:
    """A command line for supervisord's config (% is its interpolation sign)."""
    import shlex

    return " ".join(shlex.quote(arg) for arg in argv).replace("%", "%%")


def supervisor_config(directory: Path, programs: list[dict]) -> str:
    """supervisord's config: its socket, log and pid in `directory`, one program each.

    The programs inherit supervisord's environment (the cluster's settings).
    """
    lines = [
        "[unix_http_server]",
        f"file={directory / 'supervisor.sock'}",
        "chmod=0700",
        "",
        "[supervisord]",
        f"logfile={directory / 'supervisord.log'}",
        f"pidfile={directory / 'supervisord.pid'}",
        f"childlogdir={directory}",
        "logfile_maxbytes=10MB",
        "logfile_backups=3",
        "minfds=65536",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{directory / 'supervisor.sock'}",
    ]
    for program in programs:
        lines += [
            "",
            f"[program:{program['name']}]",
            f"command={_quote(program['argv'])}",
            f"directory={ROOT}",
            f"priority={program.get('priority', 100)}",
            f"autostart={'true' if program.get('autostart', True) else 'false'}",
            "autorestart=true",
            f"startsecs={STARTSECS}",
            f"startretries={STARTRETRIES}",
            # TERM to the whole group (a Celery worker's pool children too), KILL later.
            "stopsignal=TERM",
            f"stopwaitsecs={program.get('stopwaitsecs', 10)}",
            "stopasgroup=true",
            "killasgroup=true",
            "redirect_stderr=true",
            f"stdout_logfile={directory / (program['name'] + '.log')}",
            "stdout_logfile_maxbytes=50MB",
            "stdout_logfile_backups=3",
        ]
    return "\n".join(lines) + "\n"


def supervisorctl(directory: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    control = shutil.which("supervisorctl") or "supervisorctl"
    return subprocess.run(
        [control, "-c", str(directory / SUPERVISOR_CONF), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def program_states(directory: Path) -> dict[str, dict]:
    """Program name -> {"state": RUNNING|STARTING|BACKOFF|EXITED|FATAL|..., "pid": int,
    "description": supervisorctl's text} from `supervisorctl status`."""
    if not (directory / "supervisor.sock").exists():
        return {}
    try:
        result = supervisorctl(directory, "status", timeout=15)
    except subprocess.TimeoutExpired:
        return {}
    states = {}
    for line in result.stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) < 2 or parts[1].isdigit():
            continue
        description = parts[2] if len(parts) > 2 else ""
        pid = 0
        if description.startswith("pid "):
            with contextlib.suppress(ValueError):
                pid = int(description[4:].split(",", 1)[0])
        states[parts[0]] = {"state": parts[1], "pid": pid, "description": description}
    return states


# --- state -------------------------------------------------------------------------


def read_state(directory: Path) -> dict | None:
    with contextlib.suppress(OSError, ValueError):
        return json.loads((directory / STATE_FILE).read_text())
    return None


def write_state(directory: Path, state: dict) -> None:
    path = directory / STATE_FILE
    path.write_text(json.dumps(state, indent=2) + "\n")


def running(directory: Path) -> list[dict]:
    state = read_state(directory) or {}
    return [
        p for p in state.get("processes", []) if alive(p["pid"]) and is_ours(p["pid"], directory)
    ]


# --- setup steps -------------------------------------------------------------------


def ensure_haproxy() -> str:
    found = shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy") if os.access(p, os.X_OK)),
        None,
    )
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("HAProxy is missing: apt-get install -y haproxy")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "haproxy"]
        if subprocess.run(install, env=env, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
            subprocess.run(install, env=env, check=True)
        return ensure_haproxy()
    raise ClusterError("HAProxy is not installed: sudo apt-get install -y haproxy")


def redact(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        parsed = parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@"))
    return urlunparse(parsed)


def ensure_database(database_url: str) -> None:
    """CREATE DATABASE when a PostgreSQL database is missing (SQLite needs nothing)."""
    parsed = urlparse(database_url)
    if not parsed.scheme.startswith("postgres"):
        return
    import psycopg
    from psycopg import sql

    name = parsed.path.lstrip("/")
    maintenance = urlunparse(parsed._replace(scheme="postgresql", path="/postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                log(f"creating database {name}")
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        raise ClusterError(f"PostgreSQL at {redact(database_url)}: {error}") from error


def secret_key(directory: Path) -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = directory / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def ensure_certificate(directory: Path) -> Path:
    tls = directory / "tls"
    pem = tls / "server.pem"
    fresh = pem.exists() and time.time() - pem.stat().st_mtime < 20 * 86400
    if not fresh:
        subprocess.run(["bash", str(DEPLOY / "make-test-cert.sh"), str(tls)], check=True)
    return pem


def haproxy_config(args, daphne_ports: list[int], pem: Path) -> str:
    servers = "\n".join(
        f"    server daphne{number} 127.0.0.1:{port}"
        for number, port in enumerate(daphne_ports, start=1)
    )
    text = (DEPLOY / "haproxy.cfg.in").read_text()
    mtls = ""
    if args.mtls_port:
        client_ca = Path(args.client_ca).resolve()
        mtls = (
            f"    bind {args.bind}:{args.mtls_port} ssl crt {pem} ca-file {client_ca}"
            " verify required alpn http/1.1"
        )
    values = {
        "MTLS_BIND": mtls,
        "MAXCONN": str(args.maxconn),
        "STATS_SOCKET": str(args.dir / "haproxy.sock"),
        "BIND": args.bind,
        "PORT": str(args.port),
        "TLS_PORT": str(args.tls_port),
        "TLS_PEM": str(pem),
        "SERVERS": servers,
    }
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def haproxy_servers(socket_path: Path) -> dict[str, str]:
    """Server name -> status (UP, DOWN, ...) from HAProxy's stats socket."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(2)
        sock.connect(str(socket_path))
        sock.sendall(b"show stat\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        rows = data.decode().splitlines()
        header = rows[0].lstrip("# ").split(",")
        statuses = {}
        for row in rows[1:]:
            fields = dict(zip(header, row.split(","), strict=False))
            if fields.get("pxname") == "daphne" and fields.get("svname") not in (
                "BACKEND",
                "FRONTEND",
            ):
                statuses[fields["svname"]] = fields.get("status", "")
        return statuses
    return {}


def manage(args_list: list[str], env: dict) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args_list], cwd=ROOT, env=env, check=False
    )
    if result.returncode != 0:
        raise ClusterError(f"manage.py {' '.join(args_list)} failed ({result.returncode})")


# --- commands ----------------------------------------------------------------------


def start(args) -> int:
    directory: Path = args.dir
    directory.mkdir(parents=True, exist_ok=True)
    if running(directory):
        raise ClusterError(f"a cluster is already running from {directory}: stop it first")
    haproxy = ensure_haproxy()
    supervisord, _ = ensure_supervisor()
    if args.daphne_port == "auto":
        daphne_ports = []
        for _ in range(args.processes):
            daphne_ports.append(free_port(taken=(args.port, args.tls_port, *daphne_ports)))
    else:
        first = int(args.daphne_port)
        daphne_ports = list(range(first, first + args.processes))
    for port in (
        args.port,
        args.tls_port,
        *daphne_ports,
        *([args.mtls_port] * bool(args.mtls_port)),
    ):
        if port_open("127.0.0.1", port):
            raise ClusterError(f"port {port} is already in use")

    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "SECRET_KEY": secret_key(directory),
        "DEBUG": os.environ.get("DEBUG", "0"),
        # TLS ends at HAProxy, which sets X-Forwarded-Proto: HSTS and Secure cookies on
        # the TLS port. No redirect from the plain port, which stays open for ws://
        # stations (security profile 1) and their HTTP uploads.
        "HTTPS": os.environ.get("HTTPS", "1"),
        "SECURE_SSL_REDIRECT": os.environ.get("SECURE_SSL_REDIRECT", "0"),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "chargenet.settings",
        MARKER: str(directory),
    }
    for item in args.env:
        name, _, value = item.partition("=")
        env[name] = value
    log(f"database {redact(args.database_url)}, Redis {redact(args.redis_url)}")
    ensure_database(args.database_url)
    if not args.no_migrate:
        manage(["migrate", "--noinput", "--verbosity", "0"], env)
    if args.demo:
        manage(["demo_data"], {**env, "PORT": str(args.port)})
    pem = ensure_certificate(directory)
    config = directory / "haproxy.cfg"
    config.write_text(haproxy_config(args, daphne_ports, pem))
    check = subprocess.run(
        [haproxy, "-c", "-q", "-f", str(config)], capture_output=True, text=True, check=False
    )
    if check.returncode != 0:
        raise ClusterError(f"HAProxy rejects {config}:\n{check.stdout}{check.stderr}")

    programs = _programs(args, haproxy, config, daphne_ports)
    (directory / SUPERVISOR_CONF).write_text(supervisor_config(directory, programs))
    state = {
        "dir": str(directory),
        "port": args.port,
        "tls_port": args.tls_port,
        "mtls_port": args.mtls_port,
        "bind": args.bind,
        "daphne_ports": daphne_ports,
        "ca": str(pem.parent / "ca.pem"),
        "supervisor": str(directory / SUPERVISOR_CONF),
        "processes": [],
    }
    for program in programs:  # keep the previous run's logs, one generation
        log_path = directory / f"{program['name']}.log"
        if log_path.exists():
            log_path.replace(log_path.with_suffix(".log.1"))
    supervisor = _start_supervisord(supervisord, directory, env)
    state["processes"] = [supervisor]
    write_state(directory, state)
    try:
        deadline = time.monotonic() + args.timeout
        names = {f"daphne{n}" for n in range(1, args.processes + 1)}
        wait_until(
            lambda: haproxy_servers(directory / "haproxy.sock") == dict.fromkeys(names, "UP"),
            directory,
            supervisor,
            deadline,
            what="every daphne healthy behind HAProxy",
        )
        if not args.no_celery:
            worker_log = directory / "worker.log"
            wait_until(
                lambda: " ready." in worker_log.read_text(errors="replace"),
                directory,
                supervisor,
                deadline,
                what="Celery worker ready",
            )
        if args.simulate:
            supervisorctl(directory, "start", "simulator")
        # supervisord names a program's PID only once it is RUNNING (up STARTSECS).
        expected = {p["name"] for p in programs if p.get("autostart", True) or args.simulate}
        wait_until(
            lambda: _all_running(directory, expected),
            directory,
            supervisor,
            deadline,
            what="every program RUNNING under supervisord",
        )
        state["processes"] = [supervisor, *_program_records(directory, programs)]
        write_state(directory, state)
    except BaseException:
        log("start failed; stopping what was started")
        for program in programs:
            text = tail(str(directory / f"{program['name']}.log"))
            if text:
                print(f"--- {program['name']}.log (last lines)\n{text}", file=sys.stderr)
        _stop_supervisord(directory, supervisor)
        raise
    state["started_at"] = time.time()
    write_state(directory, state)
    host = args.bind
    log(
        f"up under supervisord: {args.processes} daphne on {', '.join(map(str, daphne_ports))}"
        + ("" if args.no_celery else ", Celery worker and beat")
        + f"; HAProxy on http://{host}:{args.port}/ (ws://{host}:{args.port}/ocpp/<id>)"
        + f" and https://{host}:{args.tls_port}/ (wss://, CA {state['ca']})"
    )
    log(f"logs in {directory}; `deploy/cluster.py status`; stop with `make stop-cluster`")
    return 0


def _programs(args, haproxy: str, config: Path, daphne_ports: list[int]) -> list[dict]:
    """What supervisord runs, in start order (its priority)."""
    programs = []
    for number, port in enumerate(daphne_ports, start=1):
        argv = [sys.executable, "manage.py", "serve", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--proxy-headers"]
        programs.append({"name": f"daphne-{number}", "argv": argv, "priority": 10})
    if not args.no_celery:
        celery = [sys.executable, "-m", "celery", "-A", "chargenet"]
        worker = [*celery, "worker", "-l", "info", "-n", f"chargenet-{args.port}@%h"]
        worker += ["--concurrency", str(args.celery_concurrency)]
        # A warm shutdown lets running tasks finish (their time limit is 300 s).
        programs.append({"name": "worker", "argv": worker, "priority": 20, "stopwaitsecs": 60})
        beat = [*celery, "beat", "-l", "info", "--pidfile="]
        beat += ["-s", str(args.dir / "celerybeat-schedule")]
        programs.append({"name": "beat", "argv": beat, "priority": 30})
    programs.append({"name": "haproxy", "argv": [haproxy, "-f", str(config)], "priority": 40})
    if args.simulate:
        url = f"ws://127.0.0.1:{args.port}/ocpp/"
        argv = [sys.executable, "manage.py", "simulate", "--demo", "--url", url]
        programs.append({"name": "simulator", "argv": argv, "priority": 50, "autostart": False})
    return programs


def _start_supervisord(supervisord: str, directory: Path, env: dict) -> dict:
    """supervisord in the background, in its own session; returns its record."""
    config = directory / SUPERVISOR_CONF
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    fds = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
    text = config.read_text().replace("minfds=65536", f"minfds={fds}")
    config.write_text(text)
    with contextlib.suppress(OSError):
        (directory / "supervisor.sock").unlink()
    output = directory / "supervisord.out"
    with open(output, "wb") as stream:
        process = subprocess.Popen(
            [supervisord, "-n", "-c", str(config)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_raise_fd_limit,
        )
    record = {"name": "supervisord", "pid": process.pid, "log": str(directory / "supervisord.log")}
    (directory / "supervisord.pid").write_text(f"{process.pid}\n")
    deadline = time.monotonic() + 15
    while not program_states(directory):
        if process.poll() is not None:
            raise ClusterError(f"supervisord exited: {tail(str(output))}")
        if time.monotonic() > deadline:
            raise ClusterError(f"supervisord did not answer; see {output}")
        time.sleep(0.2)
    return record


def _program_records(directory: Path, programs: list[dict]) -> list[dict]:
    states = program_states(directory)
    return [
        {
            "name": program["name"],
            "pid": states.get(program["name"], {}).get("pid", 0),
            "argv": program["argv"],
            "log": str(directory / f"{program['name']}.log"),
        }
        for program in programs
        if states.get(program["name"], {}).get("pid")
    ]


def _all_running(directory: Path, names: set[str]) -> bool:
    states = program_states(directory)
    return all(states.get(name, {}).get("state") == "RUNNING" for name in names)


def wait_until(condition, directory: Path, record: dict, deadline: float, what: str = "") -> None:
    """Until `condition()` holds; a ClusterError when supervisord dies, a program
    fails to start (checked once a second) or the deadline passes."""
    next_check = time.monotonic() + 1
    while True:
        if not alive(record["pid"]):
            raise ClusterError(f"{record['name']} exited; see {record['log']}")
        if time.monotonic() >= next_check:
            raise_failed_start(directory)
            next_check = time.monotonic() + 1
        with contextlib.suppress(OSError):
            if condition():
                return
        if time.monotonic() > deadline:
            raise ClusterError(f"timed out waiting for {what or record['name']}")
        time.sleep(0.1)


def raise_failed_start(directory: Path) -> None:
    """A ClusterError naming a program that died at its start, with its log's last lines.

    supervisord would try it again STARTRETRIES times with a growing back-off (minutes
    in all): during `start` that only hides the reason (a port in use, a bad setting).
    """
    for name, state in program_states(directory).items():
        if state["state"] in ("BACKOFF", "FATAL", "EXITED"):
            log_text = tail(str(directory / f"{name}.log"))
            raise ClusterError(f"{name} failed to start ({state['state']}):\n{log_text}")


def _stop_supervisord(directory: Path, record: dict) -> None:
    """supervisord stops its programs (each TERM, then KILL after its wait) and exits."""
    pid = record["pid"]
    if not (alive(pid) and is_ours(pid, directory)):
        return
    with contextlib.suppress(subprocess.TimeoutExpired):
        supervisorctl(directory, "shutdown", timeout=30)
    # Its longest stop wait (the worker's) and a margin; then the hard way.
    terminate(record, directory, grace=90.0)


def stop(args) -> int:
    state = read_state(args.dir)
    if not state:
        log(f"no cluster recorded in {args.dir}")
        return 0
    records = state.get("processes", [])
    supervisor = next((r for r in records if r["name"] == "supervisord"), None)
    live = running(args.dir)
    if supervisor:
        _stop_supervisord(args.dir, supervisor)
    # Anything recorded that outlived supervisord (or a cluster of the older shape).
    stop_processes(args.dir, [r for r in records if r is not supervisor])
    with contextlib.suppress(OSError):
        (args.dir / "haproxy.sock").unlink()
    state["processes"] = []
    state["stopped_at"] = time.time()
    write_state(args.dir, state)
    log(f"stopped ({len(live)} process(es) were running)")
    return 0


def stop_processes(directory: Path, processes: list[dict]) -> None:
    def order(record):
        kind = record["name"].split("-")[0]
        return STOP_ORDER.index(kind) if kind in STOP_ORDER else len(STOP_ORDER)

    for record in sorted(processes, key=order):
        terminate(record, directory)
        with contextlib.suppress(OSError):
            (directory / f"{record['name']}.pid").unlink()


def status(args) -> int:
    """Each program's state from supervisorctl, and the daphnes as HAProxy sees them.

    Exit 0 when every program that should run is RUNNING.
    """
    state = read_state(args.dir)
    if not state or not state.get("processes"):
        log(f"no cluster running from {args.dir}")
        return 1
    supervisor = next((r for r in state["processes"] if r["name"] == "supervisord"), None)
    if supervisor is None or not (
        alive(supervisor["pid"]) and is_ours(supervisor["pid"], args.dir)
    ):
        print("supervisord  GONE")
        return 1
    print(f"{'supervisord':<12} RUNNING   pid {supervisor['pid']}")
    up = True
    for name, program in program_states(args.dir).items():
        print(f"{name:<12} {program['state']:<9} {program['description']}")
        stopped_on_purpose = name == "simulator" and program["state"] == "STOPPED"
        up &= program["state"] == "RUNNING" or stopped_on_purpose
    for name, server_status in sorted(haproxy_servers(args.dir / "haproxy.sock").items()):
        print(f"{name:<12} behind HAProxy: {server_status}")
    return 0 if up else 1


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        return {"start": start, "stop": stop, "status": status}[args.command](args)
    except ClusterError as error:
        print(f"cluster: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
