"""Start and stop the production stack's processes for the on-demand harnesses (bench/web.py,
bench/faults.py, bench/scale.py): gunicorn, a Celery worker (with beat), a private redis-server, a
private PostgreSQL, an SMTP sink, the bare comparison app. Each process is started by us, on a free
loopback port, and stopped by its own pid; nothing here touches the shared services beyond the database
and Redis db named in the environment.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
PY = str(VENV / "python")
# The worker's nice value, as docker-compose.yml runs it.
WORKER_NICE = 10
PG_BIN = Path(os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
SECRET = secrets.token_urlsafe(50)
# Production requires a signing key for the count's log (one per run: the heads it signs are thrown away).
LOG_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process {process.args[0]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def wait_http(url: str, timeout: float = 60, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # nosec B310 - loopback
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline or (process is not None and process.poll() is not None):
                raise RuntimeError(f"{url} did not answer") from None
            time.sleep(0.3)


def project_env(
    *, database_url: str, redis_url: str, port: int, smtp_port: int | None = None, **extra: str
) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_HTTPS": "0",
        "DJANGO_SECRET_KEY": SECRET,
        "LOG_SIGNING_KEY": LOG_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
    }
    if smtp_port:
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port))
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, check: bool = True) -> str:
    out = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if check and out.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def recreate_database(database_url: str) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)


def prepare_project(env: dict[str, str], *, seed: int = 0) -> None:
    """Migrate, compile translations, collect static files, load the demo data, publish a tally."""
    manage(env, "migrate", "--noinput")
    manage(env, "compile_translations")
    manage(env, "collectstatic", "--noinput")
    manage(env, "load_demo_data")
    if seed:
        manage(env, "seed_demo_pledges", "--count", str(seed))
    manage(env, "recompute_tally")
    # What autovacuum does on a real server (it may be off on a shared one, as here): statistics for
    # the planner, so that the figures are not those of tables it knows nothing about.
    if env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        subprocess.run(["psql", env["DATABASE_URL"], "-qc", "ANALYZE"], check=True, capture_output=True)


class Stack:
    """The processes one harness started; stop() ends each by its own pid, newest first."""

    def __init__(self, log_dir: Path | None = None) -> None:
        self.log_dir = log_dir or Path(tempfile.mkdtemp(prefix="qg-stack-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.processes: list[tuple[str, subprocess.Popen]] = []

    def start(
        self, name: str, args: list[str], env: dict[str, str] | None = None, **kwargs
    ) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            args, cwd=kwargs.pop("cwd", ROOT), env=env, stdout=log, stderr=subprocess.STDOUT, **kwargs
        )
        self.processes.append((name, process))
        return process

    def gunicorn(
        self,
        name: str,
        env: dict[str, str],
        port: int,
        *,
        workers: int = 4,
        app: str = "quitgpt.wsgi:application",
        cwd: Path = ROOT,
    ) -> subprocess.Popen:
        process = self.start(
            name,
            [
                str(VENV / "gunicorn"),
                app,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=cwd,
        )
        wait_port(port, process=process)
        return process

    def celery(
        self, name: str, env: dict[str, str], *, beat: bool = True, concurrency: int = 2
    ) -> subprocess.Popen:
        """A worker (and beat) in its own session, so that a scenario can SIGKILL its process group. At
        nice 10, as docker-compose.yml runs it: on a shared machine the web comes first."""
        args = [
            "nice",
            "-n",
            str(WORKER_NICE),
            str(VENV / "celery"),
            "-A",
            "quitgpt",
            "worker",
            "--loglevel",
            "WARNING",
            "-c",
            str(concurrency),
        ]
        if beat:
            args += ["-B", "-s", str(self.log_dir / f"{name}-beat-schedule")]
        process = self.start(name, args, env=env, start_new_session=True)
        process.own_group = True  # type: ignore[attr-defined]
        lower_autogroup(process.pid, WORKER_NICE)  # the session's own weight: see lower_autogroup
        return process

    def smtp_sink(self, name: str = "smtp", delay: float = 0.0) -> tuple[int, Path]:
        port = free_port()
        path = self.log_dir / f"{name}-mail.tsv"
        path.touch()
        # The sink stands for the SMTP relay, which runs on another machine: at nice 10, as the worker.
        process = self.start(
            name,
            ["nice", "-n", "10", PY, str(ROOT / "bench" / "smtp_sink.py"), str(port), str(path), str(delay)],
        )
        wait_port(port, process=process)
        return port, path

    def redis(self, name: str = "redis", port: int | None = None) -> tuple[int, subprocess.Popen]:
        port = port or free_port()
        process = self.start(
            name,
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        )
        wait_port(port, process=process)
        return port, process

    def postgres(self, name: str = "pg") -> tuple[int, Path]:
        """A private PostgreSQL cluster (initdb + postgres) in the log directory, trust auth, loopback."""
        data = self.log_dir / f"{name}-data"
        port = free_port()
        initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        user = _unprivileged()
        run_as = (lambda cmd: ["runuser", "-u", user, "--", *cmd]) if user else (lambda cmd: cmd)
        if user:
            shutil.chown(self.log_dir, user)
        subprocess.run(run_as(initdb), check=True, capture_output=True)
        self.start(
            name,
            run_as(
                [
                    str(PG_BIN / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(port),
                    "-k",
                    str(self.log_dir),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                ]
            ),
        )
        wait_port(port)
        time.sleep(0.5)
        return port, data

    def stop_one(self, process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if getattr(process, "own_group", False):
            kill_group(process)

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL a process and, if it leads its own group (the worker and its pool), the whole group."""
        kill_group(process) if getattr(process, "own_group", False) else process.kill()
        process.wait(10)

    def stop(self) -> None:
        for _name, process in reversed(self.processes):
            self.stop_one(process)
        self.processes.clear()

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def lower_autogroup(pid: int, nice: int) -> None:
    """Give a process that leads its own session the autogroup nice value `nice`.

    With the kernel's autogroup scheduling (sched_autogroup_enabled, on by default), every session
    is a scheduling group of its own and a process's nice value only weighs against its own group:
    a worker started with `nice -n 10` in a new session still gets an equal share of the CPUs
    against the web's whole session. The group's own nice value is what puts it behind the web
    (see sched(7), "The autogroup feature"). Nothing happens where autogroup is off or absent."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/autogroup").write_text(f"{nice}\n")


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL every process left in the group that `process` leads (started with start_new_session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _unprivileged() -> str | None:
    """PostgreSQL refuses to run as root: as root, run it as the 'postgres' system user."""
    if os.geteuid() != 0:
        return None
    return "postgres"


def worker_pids(master: subprocess.Popen) -> list[int]:
    path = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def rss_kb(pids: Iterable[int]) -> dict[int, int]:
    sizes = {}
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes[pid] = int(line.split()[1])
        except OSError:
            continue
    return sizes


# --- for the harnesses that run the project in their own process (pledge_cpu.py, sender.py) -----------
def backend_cpu_seconds(connection) -> float:
    """The CPU time so far of the PostgreSQL backend serving `connection` (read from /proc: run the
    harness on the database's machine)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def signing_environ(email: str, index: int, port: int) -> dict:
    """The WSGI environ of a pledge POST for `email`, as a browser on the same origin sends it, from a
    client address of its own for each `index` (behind one trusted proxy: TRUSTED_PROXIES=1)."""
    body = f"email={email.replace('@', '%40')}&kinds=cancelled&country=FR".encode()
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/pledge/",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(port),
        "HTTP_HOST": f"127.0.0.1:{port}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "HTTP_ORIGIN": f"http://127.0.0.1:{port}",
        "HTTP_SEC_FETCH_SITE": "same-origin",
        "HTTP_X_FORWARDED_FOR": f"10.{index // 62500 % 250}.{index // 250 % 250}.{index % 250 + 1}",
        "REMOTE_ADDR": "127.0.0.1",
    }
