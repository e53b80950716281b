"""The results tables: medians of the repeats, each repeat's figure beside
them, and the targets read from those medians (bench/report.py).

    .venv/bin/python -m pytest bench/test_report.py
"""

from dataclasses import asdict

from bench import report
from bench.run import Config, rate_between


def step(rate, p99=100.0, cpu=15.0):
    return {
        "rate": rate,
        "stable": True,
        "p50_ms": p99 / 2,
        "p99_ms": p99,
        "max_ms": p99,
        "lost": 0,
        "duplicated": 0,
        "deliveries_per_s": rate * 1000,
        "server_cpu_us_per_delivery": cpu,
        "server_cpu_us_per_any_delivery": cpu,
        "server_cpu_share": 0.5,
        "achieved_rate": rate,
        "sent": 10,
        "redis_cpu_us_per_delivery": 1.0,
        "loadgen_cpu_us_per_delivery": 10.0,
        "loadgen_cpu_share": 0.2,
        "other_cpu_share": 0.0,
        "reasons": [],
        "news": 0,
    }


def sweep(name, rate, repeat, server="daphne", cpu=15.0):
    return {
        "name": name,
        "label": f"{name} label",
        "server": server,
        "receivers": 1000,
        "rooms": 1,
        "repeat": repeat,
        "max_stable_rate": rate,
        "steps": [step(rate, cpu=cpu)],
    }


def posts(cpu, queries, repeat):
    return {
        "label": "posting",
        "messages": 200,
        "repeat": repeat,
        "cpu_ms_p50": cpu,
        "cpu_ms_p90": cpu * 2,
        "queries_p50": queries,
        "queries_p90": queries,
        "round_trip_ms_p50": 60.0,
        "round_trip_ms_p90": 70.0,
        "statements_per_message": [{"per_message": 1, "thread": "db", "sql": "INSERT INTO a | b"}],
    }


def results():
    return {
        "config": asdict(Config()),
        "database": "postgresql",
        "skipped": [],
        "machine": {},
        "sweeps": [
            sweep("ours", 20, 0),
            sweep("ours", 40, 1),
            sweep("ours", 30, 2),
            sweep("bare", 70, 0),
            sweep("bare", 50, 1),
            sweep("bare", 60, 2),
            sweep("ours-sqlite", 30, 0, cpu=25.0),
            sweep("ours-sqlite", 30, 1, cpu=18.0),
        ],
        "idle": [
            {
                "kind": "ours",
                "label": "ours",
                "sockets": 2000,
                "room_size": 10,
                "rss_before_mib": 90,
                "rss_after_mib": 150,
                "kib_per_socket": k,
                "repeat": r,
            }
            for r, k in enumerate((31.0, 29.0, 35.0))
        ],
        "posts": [posts(9.0, 9, 0), posts(7.0, 9, 1), posts(8.0, 8, 2)],
    }


def test_the_tables_show_the_median_repeat_and_every_repeats_figure():
    text = report.markdown(results())
    assert "| ours label | **30** | 20, 40, 30 |" in text
    assert "| bare label | **60** | 70, 50, 60 |" in text
    assert "| **31.0** | 31.0, 29.0, 35.0 |" in text
    assert "| server CPU per message, ms | **8.00** | 16.00 | 9.00, 7.00, 8.00 |" in text
    assert "| SQL statements per message | **9** | 9 | 9, 9, 8 |" in text
    # A statement's pipe does not break its table row.
    assert "`INSERT INTO a \\| b`" in text


def test_targets_are_read_from_the_medians():
    targets = {row["target"]: row for row in report.compute_targets(results())}
    bare = targets["our max stable rate / bare websockets', N=1000, daphne"]
    assert bare["measured"] == "30 / 60 msg/s = 50%" and bare["met"] is False
    assert targets["posting: server CPU per message, p50"]["measured"] == "8.00 ms"
    assert targets["posting: SQL statements per message, p50"]["met"] is False
    # The lower middle of two repeats: the one at 25 µs.
    sqlite = targets["fan-out on SQLite: server CPU per delivery at the max stable rate"]
    assert sqlite["measured"] == "25 µs at 30 msg/s" and sqlite["met"] is False


def test_the_sweep_refines_between_the_last_stable_rung_and_the_failed_one():
    assert rate_between(70, 100) == 85
    assert rate_between(85, 100) == 92
    assert rate_between(70, 85) == 78
    assert rate_between(4, 5) == 4.5
    assert rate_between(1000, 1400) == 1200
    # Two significant figures leave nothing strictly between these.
    assert rate_between(99, 100) is None
