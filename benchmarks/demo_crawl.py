"""The demo as served: every page an operator and the administrator can reach by following links, then the
dossier PDF of every demo case (a first view lays it out, a second finds it made), on one gunicorn worker
whose memory is read at the end.

    python -m benchmarks.demo_crawl
"""
from __future__ import annotations

import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from .databases import kind, scratch_database
from .validation import opera_command
from .webui_pages import ROOT, SHIPPED, _free_port, login, start_gunicorn, stop

DEMO_PASSWORD = "opera-demo-2026"
CRAWLERS = ("operatore.genova@opera.example", "admin@opera.example")
MAX_PAGES = 600  # per account: the demo has fewer; a bound in case a page links to endless variants
RSS_TARGET_MB = 150
DOSSIER_TARGET = 1.0  # seconds, p95
SKIPPED = re.compile(r"^/(logout|static/|api/)|\.(pdf|csv|xlsx|zip|svg|png|jpg)(\?|$)|[?&](lang|download)=")


def rows(work: Path, quick: bool = False, database: str | None = None) -> list[tuple[str, str, str, bool | None]]:
    """(name, value, target, ok) rows for the benchmarks table; `database`: see databases.scratch_database."""
    with scratch_database(database, "demo", work) as url:
        return _rows(url, work, quick)


def _rows(url: str, work: Path, quick: bool) -> list[tuple[str, str, str, bool | None]]:
    where = kind(url)
    env = {**os.environ, "OPERA_DATABASE_URL": url, "OPERA_SECRET_KEY": "benchmark",
           "OPERA_INSTANCE_PATH": str(work / "demo-instance"), "OPERA_PATHWAYS_DIR": str(SHIPPED)}
    for command in (["db", "upgrade"], ["demo", "load"]):  # PostgreSQL is not migrated by the app itself
        done = subprocess.run(opera_command() + command, env=env, cwd=str(ROOT), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"opera {' '.join(command)}: {done.stderr[-2000:]}")
    port = _free_port()
    server = start_gunicorn(url, work / "demo-instance", port, 1)
    try:
        pages, failures = 0, []
        cases: dict[int, str] = {}  # case id -> the cookie of an account that found it
        crawl_started = time.perf_counter()
        for email in CRAWLERS:
            cookie = login(port, email, DEMO_PASSWORD)
            seen, failed = crawl(port, cookie, MAX_PAGES // (4 if quick else 1))
            pages += len(seen)
            failures += failed
            for path in seen:
                if found := re.match(r"^/cases/(\d+)$", path):
                    cases.setdefault(int(found.group(1)), cookie)
        crawl_seconds = time.perf_counter() - crawl_started
        ids = sorted(cases)[: 8 if quick else None]
        first = [_timed_get(port, f"/cases/{i}/dossier.pdf", cases[i], failures) for i in ids]
        again = [_timed_get(port, f"/cases/{i}/dossier.pdf", cases[i], failures) for i in ids]
        rss = worker_rss_mb(server.pid)
    finally:
        stop(server)
    p95_again = _p95(again)
    return [
        (f"demo crawl ({where}): {pages} pages as {len(CRAWLERS)} accounts, every answer 200 or a redirect",
         f"{crawl_seconds:.1f} s", "no failure", not failures),
        *[(f"  failed: {f}", "", "", None) for f in failures[:5]],
        (f"dossier PDF of {len(ids)} demo cases ({where}), seen again (made already), p95", f"{p95_again * 1000:,.0f} ms",
         f"< {DOSSIER_TARGET * 1000:.0f} ms", p95_again < DOSSIER_TARGET),
        ("  first view (laid out), p95 / median", f"{_p95(first) * 1000:,.0f} / {statistics.median(first) * 1000:,.0f} ms",
         "", None),
        (f"gunicorn worker RSS after the crawl and the dossiers ({where})", f"{rss:.0f} MB", f"< {RSS_TARGET_MB} MB",
         rss < RSS_TARGET_MB),
    ]


def crawl(port: int, cookie: str, most: int) -> tuple[set[str], list[str]]:
    """Every page reachable from / by links (same site, GET), breadth first; the failures as 'path status'."""
    seen: set[str] = {"/"}
    queue, failures = deque(["/"]), []
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while queue and len(seen) <= most:
        path = queue.popleft()
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        if response.status in (301, 302, 303):
            target = urlsplit(urljoin(path, response.getheader("Location") or "/"))
            _enqueue(target.path + (f"?{target.query}" if target.query else ""), seen, queue)
            continue
        if response.status != 200:
            failures.append(f"{path} {response.status}")
            continue
        if "html" not in (response.getheader("Content-Type") or ""):
            continue
        for href in re.findall(r'href="([^"#]+)', body):
            target = urlsplit(urljoin(path, href.replace("&amp;", "&")))
            if not target.netloc:
                _enqueue(target.path + (f"?{target.query}" if target.query else ""), seen, queue)
    connection.close()
    return seen, failures


def _enqueue(path: str, seen: set[str], queue: deque) -> None:
    if path.startswith("/") and path not in seen and not SKIPPED.search(path):
        seen.add(path)
        queue.append(path)


def _timed_get(port: int, path: str, cookie: str, failures: list[str]) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": cookie})
    response = connection.getresponse()
    response.read()
    seconds = time.perf_counter() - started
    connection.close()
    if response.status != 200:
        failures.append(f"{path} {response.status}")
    return seconds


def worker_rss_mb(master: int) -> float:
    """Resident memory of the gunicorn worker(s) of this master: the largest, in MB."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1)) / 1024)
    return max(sizes)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else float("nan")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="opera-bench-demo-") as tmp:
        for row in rows(Path(tmp), "--quick" in sys.argv):
            print("  ".join(str(c) for c in row))
