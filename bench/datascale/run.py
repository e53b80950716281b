"""make bench, data-scale part: what page loads, catch-up, read marks,
posting and the admin cost as the history grows (docs/performance.md: the same
at 10 thousand and 10 million messages). See bench/README.md.

For each size the database is seeded from scratch with COPY (bench/datascale/
seed.py), then every operation (bench/datascale/operations.py) runs in this
process against it: warm-up calls, then timed repeats (server time, no
network), then one call under CaptureQueriesContext for its SQL query count.
"""

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

from ..services import ROOT, Database, Redis

DEFAULT_SIZES = [10_000, 1_000_000]
LARGE = 10_000_000
# The bar: every operation within 1.5x from the smallest size to the
# largest, and these two pages under 100 ms at 1M messages.
FLAT = 1.5
PAGE_BUDGET_MS = 100
PAGES = ("room_list", "room_page")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def configure(database_url, redis_url):
    """This process becomes a production-settings server on that database."""
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "testserver",
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "CHAT_RATE_LIMIT_MESSAGES": "100000000",
            "LOG_LEVEL": "WARNING",
            # One persistent connection, not the pool: one PostgreSQL backend
            # serves every call (its CPU time is read below), and the query
            # log that counts a call's statements lives as long as it. With
            # the pool, each request's end hands the connection back and the
            # next takes another of its backends in turn, and PostgreSQL's
            # CPU would be read from whichever served the reading.
            "DATABASE_POOL_MAX_SIZE": "0",
            "CONN_MAX_AGE": "600",
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    # Pages link hashed static files, as in a deploy.
    call_command("collectstatic", verbosity=0, interactive=False)


def backend_cpu_seconds():
    """CPU time so far of the PostgreSQL backend serving this process's
    connection, when the server runs on this machine (else None)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(operation, warmup, repeats):
    """Wall time of each call (this process and PostgreSQL, as a client would
    wait), and its parts: this process's CPU time, and the SQL statements'
    time as the driver saw it. On a shared machine the wall time includes
    waiting for a core; the parts say where the cost is."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def call():
        if operation.reset:
            operation.reset()
        # The log keeps the last 9000 statements: once full, its length no
        # longer grows and a call would count 0 (as every row at 1M did).
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            cpu, t0 = time.process_time(), time.perf_counter()
            operation.run()
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu
        sql = sum(float(q["time"]) for q in queries.captured_queries)
        return wall * 1000, cpu * 1000, sql * 1000, len(queries)

    for _ in range(warmup):
        call()
    # The backend's CPU is read in clock ticks (10 ms): over all the repeats, as a mean per call.
    backend_before = backend_cpu_seconds()
    calls = [call() for _ in range(repeats)]
    backend_after = backend_cpu_seconds()
    walls = [c[0] for c in calls]
    return {
        "p50_ms": round(statistics.median(walls), 2),
        "p95_ms": round(statistics.quantiles(walls, n=20, method="inclusive")[18], 2),
        "min_ms": round(min(walls), 2),
        "cpu_p50_ms": round(statistics.median(c[1] for c in calls), 2),
        "sql_p50_ms": round(statistics.median(c[2] for c in calls), 2),
        "postgres_cpu_ms": (
            round((backend_after - backend_before) * 1000 / repeats, 1)
            if backend_before is not None and backend_after is not None
            else None
        ),
        "queries": calls[-1][3],
        "repeats": repeats,
    }


def database_facts():
    from django.db import connection

    from rooms.models import Message

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [Message._meta.db_table])
        (size,) = cursor.fetchone()
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    return {"messages_table_mib": round(size / 2**20, 1), "postgresql": version.split(" on ")[0]}


def run_size(size, warmup, repeats):
    from .operations import operations
    from .seed import seed

    log(f"{size:,} messages: seeding")
    seconds = seed(size)
    facts = database_facts()
    log(f"  seeded in {seconds:.0f} s ({facts['messages_table_mib']} MiB of messages and indexes)")
    result = {
        "size": size,
        "seed_seconds": round(seconds, 1),
        **facts,
        "operations": {},
        "load_average_before": round(os.getloadavg()[0], 1),
    }
    for operation in operations():
        numbers = measure(operation, warmup, repeats)
        numbers["label"] = operation.label
        result["operations"][operation.name] = numbers
        log(
            f"  {operation.name:<13} p50 {numbers['p50_ms']:>8.1f} ms  p95 {numbers['p95_ms']:>8.1f} ms  "
            f"(CPU {numbers['cpu_p50_ms']:.1f} ms, PostgreSQL {numbers['postgres_cpu_ms']} ms, "
            f"SQL {numbers['sql_p50_ms']:.1f} ms)  {numbers['queries']:>3} queries"
        )
    result["load_average_after"] = round(os.getloadavg()[0], 1)
    return result


def fmt_size(size):
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def work_ms(numbers):
    """What one call costs the machine, whoever else uses it: CPU here plus
    the PostgreSQL backend's CPU (or, where that cannot be read, the SQL time)."""
    database = numbers.get("postgres_cpu_ms")
    return numbers["cpu_p50_ms"] + (numbers["sql_p50_ms"] if database is None else database)


def markdown(results, baseline=None):
    sizes = [r["size"] for r in results["sizes"]]
    by_size = {r["size"]: r["operations"] for r in results["sizes"]}
    base = {r["size"]: r["operations"] for r in (baseline or {}).get("sizes", [])}
    lines = [
        "# Data-scale benchmark",
        "",
        f"Run {results['started']}, {results.get('postgresql', 'PostgreSQL')}, {results['machine']['cores']} cores, "
        f"Python {results['machine']['python']}; "
        f"{results['repeats']} timed repeats after {results['warmup']} warm-up calls; server time in-process "
        "(Django test Client or the model layer), no network. Queries: SQL statements of one call.",
        "",
    ]
    header = ["operation"]
    for size in sizes:
        if size in base:
            header.append(f"{fmt_size(size)} before: p50 ms (queries)")
        header += [f"{fmt_size(size)}: p50 / p95 ms", "CPU + PostgreSQL CPU ms (SQL ms)", "queries"]
    header.append(f"{fmt_size(sizes[-1])} / {fmt_size(sizes[0])}: p50, CPU")
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, first in by_size[sizes[0]].items():
        row = [first["label"]]
        for size in sizes:
            if size in base:
                b = base[size].get(name)
                row.append(f"{b['p50_ms']:.1f} ({b['queries']})" if b else "-")
            n = by_size[size][name]
            database = "?" if n.get("postgres_cpu_ms") is None else f"{n['postgres_cpu_ms']:.1f}"
            row += [
                f"{n['p50_ms']:.1f} / {n['p95_ms']:.1f}",
                f"{n['cpu_p50_ms']:.1f} + {database} ({n['sql_p50_ms']:.1f})",
                str(n["queries"]),
            ]
        last = by_size[sizes[-1]][name]
        ratio = last["p50_ms"] / max(first["p50_ms"], 1e-3)
        work = work_ms(last) / max(work_ms(first), 1e-3)
        row.append(f"{ratio:.2f}x, {work:.2f}x {'flat' if work <= FLAT else 'NOT FLAT'}")
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "CPU: this process (Python: views, templates, the ORM), median per call; PostgreSQL CPU: the "
        "backend serving it (from /proc, in 10 ms ticks over all the repeats: a mean per call); SQL: the "
        "statements' time as the driver saw it, median. Wall time beyond the CPU is waiting for a core or "
        "the disk (compare the load averages below): the verdict, flat within "
        f"{FLAT}x, is on the CPU of both.",
    ]
    lines += [
        "",
        "| size | seeded in | messages table with indexes | load average (1 min) before / after |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['size']:,} | {r['seed_seconds']:.0f} s | {r['messages_table_mib']} MiB | "
        f"{r['load_average_before']} / {r['load_average_after']} |"
        for r in results["sizes"]
    ]
    at_1m = by_size.get(1_000_000)
    if at_1m:
        lines += [
            "",
            f"Pages under {PAGE_BUDGET_MS} ms at 1M messages (p50 wall; CPU of both): "
            + ", ".join(
                f"{name} {at_1m[name]['p50_ms']:.0f} ms; {work_ms(at_1m[name]):.0f} ms "
                f"{'met' if work_ms(at_1m[name]) < PAGE_BUDGET_MS else 'NOT met'}"
                for name in PAGES
            ),
        ]
    return "\n".join(lines) + "\n"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.datascale", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help="comma-separated message counts (default 10000,1000000)")
    parser.add_argument("--large", action="store_true", help=f"also {LARGE:,} messages (several minutes of seeding)")
    parser.add_argument("--repeats", type=int, default=20, help="timed calls per operation (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls first (default 3)")
    parser.add_argument(
        "--database-url",
        help="seed this existing PostgreSQL database (its chat tables are "
        "emptied) instead of a new one on the server of DATABASE_URL, dropped at the end",
    )
    parser.add_argument("--baseline", help="an earlier datascale.json: its figures go next to this run's")
    parser.add_argument("--name", default="datascale", help="results file names (default datascale)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"), help="results folder")
    args = parser.parse_args(argv)
    args.sizes = sorted({int(x) for x in args.sizes.split(",")} if args.sizes else set(DEFAULT_SIZES))
    if args.large and LARGE not in args.sizes:
        args.sizes.append(LARGE)
    return args


def main(argv=None):
    from .. import report

    args = parse_args(sys.argv[1:] if argv is None else argv)
    base = args.database_url or os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        log(
            "data-scale benchmark skipped: it needs PostgreSQL (set DATABASE_URL=postgres://... to a server "
            "where this user may create databases, or pass --database-url)"
        )
        return 0
    out = Path(args.out)
    (out / "raw").mkdir(parents=True, exist_ok=True)
    redis = Redis(out / "raw").start()
    database = None
    try:
        if args.database_url:
            url = args.database_url
        else:
            os.environ["DATABASE_URL"] = base
            database = Database().create()
            url = database.url
        configure(url, redis.url)
        results = {
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": report.machine(),
            "repeats": args.repeats,
            "warmup": args.warmup,
            "sizes": [],
        }
        for size in args.sizes:
            results["sizes"].append(run_size(size, args.warmup, args.repeats))
            results["postgresql"] = results["sizes"][-1]["postgresql"]
            baseline = json.loads(Path(args.baseline).read_text()) if args.baseline else None
            (out / f"{args.name}.json").write_text(json.dumps(results, indent=1) + "\n")
            (out / f"{args.name}.md").write_text(markdown(results, baseline))
        print()
        print(markdown(results, baseline))
        log(f"results in {out}/{args.name}.md and {args.name}.json")
    finally:
        if database is not None:
            database.drop()
        redis.stop()
    return 0
