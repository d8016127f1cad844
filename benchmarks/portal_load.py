"""Load on the submission portal (issue 18), on loopback only: a real ``xltools serve`` with a round of N units;
all N units sign in and upload at once, then a burst of uploads (every unit sends BURST more, N at a time). Every
upload is then verified in the database: stored, checked, its own version, its own bytes (each file sent is made
unique by its zip comment), nothing lost or mixed up. Reports p50/p95 time to verdict (the upload POST until the
result page has arrived), throughput and the server's peak memory (its process tree, polled every 100 ms).

    python benchmarks/portal_load.py [--units 200] [--burst 10] [--database-url postgresql://…] [--write]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

from check_speed import machine, write_section
from consolidate_speed import department

PASSWORD = "Load-test-password-2026"


class Session:
    """A signed-in HTTP session (cookies and Django's CSRF token), standard library only."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.open("/login/")
        final, _ = self.post("/login/", {"username": username, "password": PASSWORD, "next": ""})
        if "/login/" in final:
            raise RuntimeError(f"sign-in failed: {username}")

    def open(self, path: str, request: urllib.request.Request | None = None) -> tuple[str, str]:
        with self.opener.open(request or self.base + path, timeout=300) as answer:
            return str(answer.geturl()), answer.read().decode("utf-8")

    def post(self, path: str, fields: dict[str, str], file: tuple[str, bytes] | None = None) -> tuple[str, str]:
        token = next(c.value for c in self.jar if c.name == "csrftoken") or ""
        fields = {**fields, "csrfmiddlewaretoken": token}
        if file is None:
            body, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        else:
            boundary = secrets.token_hex(16)
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                     for k, v in fields.items()]
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file[0]}"\r\n'
                         f"Content-Type: application/octet-stream\r\n\r\n".encode() + file[1] + b"\r\n")
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            kind = f"multipart/form-data; boundary={boundary}"
        request = urllib.request.Request(self.base + path, data=body, headers={"Content-Type": kind}, method="POST")
        return self.open(path, request)


def unique(book: bytes, label: str) -> bytes:
    """The same workbook with its own zip comment: every file sent has bytes (and a SHA-256) of its own."""
    out = io.BytesIO(book)
    with zipfile.ZipFile(out, "a") as z:
        z.comment = label.encode()
    return out.getvalue()


def setup(data: Path, units: int) -> None:
    """(In a child process with the portal's environment) the tables, an office and a round of ``units`` units,
    each with an account (one password hash shared, computed once)."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from xltools.portal.models import RosterUnit, Round

    call_command("migrate", interactive=False, verbosity=0)
    hashed = make_password(PASSWORD)
    office = User.objects.create(username="office", password=hashed, is_staff=True)
    round_ = Round.objects.create(unit="测试市", year=2024, created_by=office)
    accounts = User.objects.bulk_create([User(username=f"load{i:05d}", password=hashed) for i in range(units)])
    RosterUnit.objects.bulk_create([RosterUnit(round=round_, position=i + 1, name=f"测试市第{i:05d}局",
                                               account=account) for i, account in enumerate(accounts)])


def verify(data: Path, sent_file: Path) -> dict[str, object]:
    """(In a child process) every upload sent is in the database: its own unit, version, bytes, and checked."""
    import django

    django.setup()
    from xltools.portal.models import Upload

    sent = json.loads(sent_file.read_text())
    stored = {(u.unit.account.username if u.unit.account else "", u.version): u
              for u in Upload.objects.select_related("unit__account")}
    problems = []
    for username, digests in sent.items():
        versions = sorted(v for (name, v) in stored if name == username)
        if versions != list(range(1, len(digests) + 1)):
            problems.append(f"{username}: versions {versions}")
        for version, digest in enumerate(sorted(digests, key=lambda d: d[0]), start=1):
            upload = stored.get((username, version))
            if upload is None:
                continue
            file = Path(os.environ["XLTOOLS_PORTAL_DATA"]) / "files" / upload.stored
            if upload.sha256 != digest[1] or hashlib.sha256(file.read_bytes()).hexdigest() != digest[1]:
                problems.append(f"{username} v{version}: bytes differ")
            if upload.status not in ("passed", "warnings") or upload.report.get("file") != digest[2]:
                problems.append(f"{username} v{version}: {upload.status} {upload.report.get('file')}")
    return {"uploads": len(stored), "sent": sum(len(d) for d in sent.values()), "problems": problems[:20]}


def tree_rss(root: int) -> int:
    """The resident memory (kB) of ``root`` and all its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                          if ":" in line)
        except OSError:
            continue
        parents[int(pid)] = int(fields.get("PPid", "0"))
        rss[int(pid)] = int(fields.get("VmRSS", "0 kB").split()[0])
    family, grew = {root}, True
    while grew:
        more = {p for p, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    return sum(rss.get(p, 0) for p in family)


def percentiles(times: list[float]) -> str:
    q = statistics.quantiles(times, n=20)
    return f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {q[18] * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"


def child(mode: str, data: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, __file__, f"--{mode}", str(data), *args], env=env, capture_output=True,
                          text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--burst", type=int, default=10, help="uploads per unit in the burst")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--write", action="store_true", help="write the numbers to RESULTS.md")
    parser.add_argument("--setup", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--verify", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        return setup(args.setup, int(args.rest[0]))
    if args.verify:
        return print(json.dumps(verify(args.verify, Path(args.rest[0]))))
    work = Path(tempfile.mkdtemp(prefix="xltools-load-"))
    data = work / "data"
    env = {**os.environ, "XLTOOLS_PORTAL_DATA": str(data), "DJANGO_SETTINGS_MODULE": "xltools.portal.settings",
           "XLTOOLS_PORTAL_SECRET": secrets.token_urlsafe(40)}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        env.pop("DATABASE_URL", None)
    print(f"writing {args.units} workbooks, setting up the round…", flush=True)
    from xltools.reading.document import parse_document
    from xltools.workbook.writer import write_workbook

    books = []
    for i in range(args.units):
        spec, doc = parse_document(department(i))
        write_workbook(spec, str(work / f"{i}.xlsx"), doc)
        books.append((work / f"{i}.xlsx").read_bytes())
    data.mkdir(parents=True)
    child("setup", data, env, str(args.units))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (work / "server.log").open("wb")  # a pipe nobody reads would stop the server once it is full
    server = subprocess.Popen([sys.executable, "-m", "xltools", "serve", "--port", str(port), "--data", str(data),
                               "--threads", "32"], env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(base + "/login/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    peak, stop = [0], threading.Event()

    def poll() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], tree_rss(server.pid))
            time.sleep(0.1)

    threading.Thread(target=poll, daemon=True).start()
    sent: dict[str, list[tuple[int, str, str]]] = {}
    lock = threading.Lock()

    def send(i: int, n: int, session: Session) -> float:
        name = f"第{n}版-{i:05d}.xlsx"
        body = unique(books[i], f"load {i} {n}")
        start = time.perf_counter()
        final, page = session.post("/unit/upload/", {}, (name, body))
        elapsed = time.perf_counter() - start
        if not re.search(r"/uploads/\d+/$", final) or 'id="verdict"' not in page:
            raise RuntimeError(f"upload {i}/{n} got {final}")
        with lock:
            sent.setdefault(f"load{i:05d}", []).append((n, hashlib.sha256(body).hexdigest(), name))
        return elapsed

    try:
        print("signing in…", flush=True)
        start = time.perf_counter()
        with ThreadPoolExecutor(args.units) as pool:
            sessions = list(pool.map(lambda i: Session(base, f"load{i:05d}"), range(args.units)))
        sign_in = time.perf_counter() - start
        barrier = threading.Barrier(args.units)

        def first(i: int) -> float:
            barrier.wait()
            return send(i, 1, sessions[i])

        print(f"{args.units} uploads at once…", flush=True)
        start = time.perf_counter()
        with ThreadPoolExecutor(args.units) as pool:
            at_once = list(pool.map(first, range(args.units)))
        at_once_wall = time.perf_counter() - start
        print(f"burst of {args.units * args.burst} uploads…", flush=True)
        start = time.perf_counter()
        with ThreadPoolExecutor(args.units) as pool:
            burst = [t for ts in pool.map(lambda i: [send(i, n, sessions[i]) for n in range(2, 2 + args.burst)],
                                          range(args.units)) for t in ts]
        burst_wall = time.perf_counter() - start
    finally:
        stop.set()
        server.terminate()
        server.wait(30)
    (work / "sent.json").write_text(json.dumps(sent))
    checked = json.loads(child("verify", data, env, str(work / "sent.json")))
    log.close()
    errors = (work / "server.log").read_text(errors="replace")
    shutil.rmtree(work, ignore_errors=True)
    database = "PostgreSQL" if args.database_url else "SQLite"
    lines = [
        f"- {database}: {args.units} units signed in in {sign_in:.1f} s (PBKDF2, 1,000,000 iterations each).",
        f"- {args.units} uploads at once: {at_once_wall:.1f} s wall, time to verdict {percentiles(at_once)}.",
        f"- burst of {len(burst)} uploads ({args.units} at a time): {burst_wall:.1f} s wall "
        f"({len(burst) / burst_wall:.0f} uploads/s), time to verdict {percentiles(burst)}.",
        f"- verified in the database: {checked['uploads']} of {checked['sent']} uploads stored, each its own "
        f"version, bytes and check; problems: {checked['problems'] or 'none'}.",
        f"- server peak memory (process tree): {peak[0] / 1024:.0f} MB; lines it logged: "
        f"{len(errors.splitlines())}{' (first: ' + errors.splitlines()[0][:200] + ')' if errors.strip() else ''}.",
    ]
    print("\n".join(lines))
    if args.write:
        write_section(f"portal load on {database} (benchmarks/portal_load.py)",
                      f"Machine: {machine(('Django', 'waitress'))}. {time.strftime('%Y-%m-%d')}. Server and "
                      "clients on one machine (loopback), `xltools serve --threads 32`.\n\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
