"""results.md (tables), results.json (every number) and fanout.png (rate vs p99)."""

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path

PACKAGES = [
    "Django",
    "channels",
    "channels-redis",
    "daphne",
    "uvicorn",
    "granian",
    "httptools",
    "wsproto",
    "websockets",
    "uvloop",
    "redis",
    "psycopg",
    "psycopg-pool",
]
# Issue 24's targets.
TARGETS = {
    "vs_peer": 20.0,
    "vs_bare": 0.70,
    "p99_ms": 250.0,
    "kib_per_socket": 25.0,
    "two_processes": 1.7,
    "rooms_vs_one_room": 1.0,
    "post_cpu_ms": 2.0,
    "post_queries": 4,
    "sqlite_us_per_delivery": 20.0,
}
# ours on each server, in the tables' order.
SERVERS = ["ours", "ours-uvicorn", "ours-granian"]


def machine():
    info = {"python": platform.python_version(), "cores": os.cpu_count(), "platform": platform.platform()}
    for name in PACKAGES:
        try:
            info[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    redis = shutil.which("redis-server")
    if redis:
        out = subprocess.run([redis, "--version"], capture_output=True, text=True).stdout
        info["redis-server"] = next((w.split("=")[1] for w in out.split() if w.startswith("v=")), out.strip())
    return info


def _ms(value):
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _us(value):
    return "-" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _shares(step):
    """Server CPU as a share of one core; per process too when there are several."""
    each = step.get("server_cpu_shares") or []
    total = f"{step['server_cpu_share']:.0%}"
    return f"{total} ({' + '.join(f'{x:.0%}' for x in each)})" if len(each) > 1 else total


def _rate(value):
    return f"{value:g}"


def median_of(runs, key):
    """The run whose `key` is the median (the lower middle of an even count), or None."""
    runs = sorted((r for r in runs if key(r) is not None), key=key)
    return runs[(len(runs) - 1) // 2] if runs else None


def repeats_of(results, name):
    return [s for s in results["sweeps"] if s["name"] == name]


def sweep(results, name):
    """The repeat of scenario `name` whose max stable rate is the median of its repeats."""
    runs = repeats_of(results, name)
    return median_of(runs, lambda s: s.get("max_stable_rate", 0) if s["steps"] else None) or (runs[0] if runs else None)


def idle_of(results, kind):
    return median_of([i for i in results["idle"] if i["kind"] == kind], lambda i: i.get("kib_per_socket"))


def posts_median(results):
    """Each figure of the posts scenario: its median over the repeats (None when none measured)."""
    runs = [p for p in results.get("posts", []) if "cpu_ms_p50" in p]
    if not runs:
        return None
    out = {
        key: statistics.median(p[key] for p in runs)
        for key in ("cpu_ms_p50", "cpu_ms_p90", "queries_p50", "queries_p90", "round_trip_ms_p50", "round_trip_ms_p90")
    }
    out["repeats"] = runs
    out["median_repeat"] = median_of(runs, lambda p: p["cpu_ms_p50"])
    return out


def stable_step(s):
    """The step at the scenario's max stable rate, or None."""
    if not s or not s.get("max_stable_rate"):
        return None
    return next((step for step in s["steps"] if step["stable"] and step["rate"] == s["max_stable_rate"]), None)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def compute_targets(results):
    peer, bare, two = (sweep(results, n) for n in ("peer", "bare", "ours-2p"))
    rate = lambda s: s.get("max_stable_rate") if s and s["steps"] else None  # noqa: E731
    floor = results["config"]["ladder"][0]
    n = results["config"]["receivers"]
    rows = []

    def row(what, measured, goal, met):
        rows.append({"target": what, "measured": measured, "goal": goal, "met": None if met is None else bool(met)})

    def rate_ratio(ours, other, key, label, goal_text, as_percent):
        a, b = rate(ours), rate(other)
        r = ratio(a, b)
        if a is None or b is None:
            row(label, "not measured", goal_text, None)
        elif b == 0:
            row(
                label,
                f"{_rate(a)} vs < {_rate(floor)} msg/s (no stable step)",
                goal_text,
                None if a == 0 else (a / floor) >= TARGETS[key] if not as_percent else True,
            )
        else:
            shown = f"{r:.0%}" if as_percent else f"{r:.2f}x"
            row(label, f"{_rate(a)} / {_rate(b)} msg/s = {shown}", goal_text, r >= TARGETS[key])
        return r

    ours = sweep(results, "ours")
    results["ratios"] = {
        "ours_over_peer": rate_ratio(
            ours, peer, "vs_peer", f"our max stable rate / peer's, N={n}, daphne", "≥ 20x", False
        )
    }
    for name in SERVERS:
        s = sweep(results, name)
        if s is None and name != "ours":
            continue
        server = (s or {}).get("server") or "daphne"
        results["ratios"][f"{name.replace('-', '_')}_over_bare"] = rate_ratio(
            s, bare, "vs_bare", f"our max stable rate / bare websockets', N={n}, {server}", "≥ 70%", True
        )
        at = stable_step(s)
        if at:
            row(
                f"p99 fan-out at that rate, {server}",
                f"{_ms(at['p99_ms'])} ms at {_rate(at['rate'])} msg/s "
                f"({at['lost']} lost, {at['duplicated']} duplicated)",
                "≤ 250 ms, 0 lost",
                at["p99_ms"] <= TARGETS["p99_ms"] and at["lost"] == 0 and at["duplicated"] == 0,
            )
        else:
            row(f"p99 fan-out at that rate, {server}", "no stable step", "≤ 250 ms, 0 lost", None if not s else False)
    for name in SERVERS:
        idle = idle_of(results, name)
        if idle:
            row(
                f"memory per idle socket, {idle['label']}, N={idle['sockets']}",
                f"{idle['kib_per_socket']:.1f} KiB",
                "≤ 25 KiB",
                idle["kib_per_socket"] <= TARGETS["kib_per_socket"],
            )
        elif name == "ours":
            row("memory per idle socket, ours", "not measured", "≤ 25 KiB", None)
    rooms = sweep(results, "rooms")
    a, b = rate(rooms), rate(ours)
    if a is None or b is None:
        row("many rooms: max stable msg/s, all rooms together / one room", "not measured", "≥ 1x", None)
    else:
        r = ratio(a, b)
        shown = f" = {r:.2f}x" if r is not None else ""
        row(
            f"many rooms ({rooms['receivers']} sockets over {rooms['rooms']} rooms): max stable msg/s, all rooms "
            "together / one room",
            f"{_rate(a)} / {_rate(b)}{shown}",
            "≥ 1x",
            None if b == 0 else a >= b * TARGETS["rooms_vs_one_room"],
        )
    posted = posts_median(results)
    if posted:
        row(
            "posting: server CPU per message, p50",
            f"{posted['cpu_ms_p50']:.2f} ms",
            "≤ 2 ms",
            posted["cpu_ms_p50"] <= TARGETS["post_cpu_ms"],
        )
        row(
            "posting: SQL statements per message, p50",
            f"{posted['queries_p50']:g}",
            "≤ 4",
            posted["queries_p50"] <= TARGETS["post_queries"],
        )
    else:
        row("posting: server CPU and SQL statements per message, p50", "not measured", "≤ 2 ms, ≤ 4", None)
    sqlite = sweep(results, "ours-sqlite") or (ours if results.get("database") == "sqlite" else None)
    at = stable_step(sqlite)
    if at and at.get("server_cpu_us_per_delivery") is not None:
        row(
            "fan-out on SQLite: server CPU per delivery at the max stable rate",
            f"{_us(at['server_cpu_us_per_delivery'])} µs at {_rate(at['rate'])} msg/s",
            "< 20 µs",
            at["server_cpu_us_per_delivery"] < TARGETS["sqlite_us_per_delivery"],
        )
    else:
        row("fan-out on SQLite: server CPU per delivery at the max stable rate", "not measured", "< 20 µs", None)
    if two:
        a, b = rate(two), rate(ours)
        r = ratio(a, b)
        results["ratios"]["two_over_one_process"] = r
        if a is None or b is None or not b:
            row("2 processes / 1 process (same Redis)", "no stable step", "≥ 1.7x", None)
        else:
            row(
                "2 processes / 1 process (same Redis)",
                f"{_rate(a)} / {_rate(b)} msg/s = {r:.2f}x",
                "≥ 1.7x",
                r >= TARGETS["two_processes"],
            )
    results["targets"] = rows
    return rows


def contention(results):
    shares = sorted(st.get("other_cpu_share", 0) for s in results["sweeps"] for st in s["steps"])
    return shares[len(shares) // 2] if shares else None


def markdown(results):
    cfg = results["config"]
    m = results.get("machine", {})
    lines = [
        "# Fan-out benchmark results",
        "",
        f"Run {results.get('started', '?')}, {results.get('seconds', '?')} s in all"
        f"{' (QUICK smoke run)' if cfg.get('quick') else ''}"
        f"{' (INTERRUPTED)' if results.get('interrupted') else ''}. "
        f"{m.get('cores', '?')} cores shared by servers, Redis and the load generator. "
        f"Python {m.get('python', '?')}, Django {m.get('Django', '?')}, channels {m.get('channels', '?')}, "
        f"channels-redis {m.get('channels-redis', '?')}, daphne {m.get('daphne', '?')}, "
        f"websockets {m.get('websockets', '?')}, uvicorn {m.get('uvicorn', '?')}, granian {m.get('granian', '?')}, "
        f"psycopg-pool {m.get('psycopg-pool', '?')}, redis-server {m.get('redis-server', '?')}; "
        f"database {results.get('database', '?')}; channel layer RedisChannelLayer; "
        f"load generator on {results.get('loadgen_loop', '?')}.",
        "",
        f"One room, N={cfg['receivers']} receivers (sockets of {cfg['accounts']} accounts, like tabs), one "
        f"sender stepping up {', '.join(_rate(r) for r in cfg['ladder'][:6])}, ... msg/s"
        + (
            f" (then halving the gap between the last stable rate and the first unstable one, "
            f"{cfg['refine_steps']} times), "
            if cfg.get("refine_steps")
            else ", "
        )
        + f"{cfg['step_seconds']:g} s (at least {cfg['min_messages']} messages, "
        f"at most {cfg['max_step_seconds']:g} s) per step; "
        f"stable = 0 lost, 0 duplicated, p99 ≤ 2 s, latency not growing, sender held the rate. "
        f"{cfg.get('repeats', 1)} repeat(s) of every scenario, in turn: the tables show the repeat with the "
        "median max stable rate (idle: the median KiB per socket; posting: the median of each figure), and "
        "every repeat's rate.",
        "",
    ]
    others = contention(results)
    if others is not None:
        results["median_other_cpu_share"] = others
        if others >= 0.3:
            lines += [
                f"**The machine was shared**: other processes used a median {others:.0%} of one core during "
                "the steps (column 'others' CPU' below). Rates are lower and noisier than on a quiet "
                "machine; compare ratios within this run, and re-run when the machine is quiet.",
                "",
            ]
        else:
            lines += [f"Other processes used a median {others:.0%} of one core during the steps.", ""]
    lines += [
        "## Targets",
        "",
        "| target | measured | goal | met |",
        "|---|---|---|---|",
    ]
    for t in compute_targets(results):
        met = "n/a" if t["met"] is None else ("yes" if t["met"] else "**no**")
        lines.append(f"| {t['target']} | {t['measured']} | {t['goal']} | {met} |")
    lines += [
        "",
        f"## Max stable rate, one room, N={cfg['receivers']} (many rooms: as labelled)",
        "",
        "| server | max stable msg/s (median) | every repeat | deliveries/s there | p50 ms | p99 ms | lost | dup "
        "| server CPU µs/delivery | same, sidebar news counted | connect + settle "
        "| sockets dropped by server (app exceptions logged) | sweep ended at |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    names = list(dict.fromkeys(s["name"] for s in results["sweeps"]))
    for s in (sweep(results, name) for name in names):
        every = ", ".join(
            "failed" if "error" in r and not r["steps"] else _rate(r.get("max_stable_rate", 0))
            for r in repeats_of(results, s["name"])
        )
        if "error" in s and not s["steps"]:
            lines.append(f"| {s['label']} | failed: {s['error'][:200]} | {every} | | | | | | | | | | |")
            continue
        at = stable_step(s)
        bad = s.get("first_unstable")
        why = f"{_rate(bad['rate'])} msg/s: {', '.join(bad['reasons'])}" if bad else ("none (ladder or budget ended)")
        if bad and bad.get("loadgen_cpu_share", 0) >= 0.85:
            why += f"; the load generator used {bad['loadgen_cpu_share']:.0%} of a core: its ceiling, not the server's"
        c = s.get("connect", {})
        connect = f"{c.get('seconds_to_settle', '?')} s, {c.get('server_cpu_s', '?')} s CPU" if c else "-"
        drops = f"{s.get('sockets_dropped_by_server', '-')} ({s.get('server_log', {}).get('app_exceptions', '-')})"
        if at:
            lines.append(
                f"| {s['label']} | **{_rate(s['max_stable_rate'])}** | {every} | {at['deliveries_per_s']:,.0f} "
                f"| {_ms(at['p50_ms'])} | {_ms(at['p99_ms'])} | {at['lost']} | {at['duplicated']} "
                f"| {_us(at['server_cpu_us_per_delivery'])} | {_us(at.get('server_cpu_us_per_any_delivery'))} "
                f"| {connect} | {drops} | {why} |"
            )
        else:
            lines.append(
                f"| {s['label']} | **< {_rate(cfg['ladder'][0])}** | {every} | - | - | - | - | - | - | - "
                f"| {connect} | {drops} | {why} |"
            )
    for name in results.get("skipped", []):
        lines.append(f"| {name} | skipped (time budget) | | | | | | | | | | | |")
    r = results.get("ratios", {})
    lines += [
        "",
        "Ratios: " + "; ".join(f"{k.replace('_', ' ')} = {'-' if v is None else f'{v:.2f}'}" for k, v in r.items()),
        "",
    ]

    if results["idle"]:
        lines += [
            "## Memory per idle connection (one server process)",
            "",
            "| server | idle sockets | RSS before (warm) MiB | RSS after MiB | KiB per socket (median) "
            "| every repeat | sockets dropped by server |",
            "|---|---|---|---|---|---|---|",
        ]
        for kind in dict.fromkeys(i["kind"] for i in results["idle"]):
            every = ", ".join(str(i.get("kib_per_socket", "failed")) for i in results["idle"] if i["kind"] == kind)
            i = idle_of(results, kind) or next(i for i in results["idle"] if i["kind"] == kind)
            if "kib_per_socket" not in i:
                lines.append(f"| {i['label']} | failed: {i.get('error', '?')[:200]} | | | | {every} | |")
                continue
            lines.append(
                f"| {i['label']} | {i['sockets']} (rooms of {i['room_size']}) | {i['rss_before_mib']} "
                f"| {i['rss_after_mib']} | **{i['kib_per_socket']}** | {every} "
                f"| {i.get('sockets_dropped_by_server', '-')} |"
            )
        lines.append("")
    lines += posts_markdown(results)

    lines += ["## Every step", ""]
    for s in results["sweeps"]:
        c = s.get("connect")
        lines += [f"### {s['label']}" + (f", repeat {s['repeat'] + 1}" if cfg.get("repeats", 1) > 1 else ""), ""]
        if c:
            lines.append(
                f"Connect: {cfg['receivers']} sockets in {c['seconds_to_connect']} s; a probe reached all "
                f"after {c['seconds_to_settle']} s ({c.get('probes_sent', 1)} probes sent); server CPU "
                f"for the joins {c['server_cpu_s']} s; {c.get('frames_received', 0):,} other frames "
                f"(presence) reached the receivers; the server dropped "
                f"{c.get('sockets_dropped_by_server', 0)} sockets meanwhile (close codes "
                f"{c.get('close_codes_of_dropped') or '-'}; reconnected)."
            )
        log_ = s.get("server_log")
        if log_:
            lines.append(
                f"Server logs: {log_.get('app_exceptions', 0)} 'Exception inside application' "
                f"(the consumer died, daphne closed its socket), {log_.get('tracebacks', 0)} tracebacks "
                "in all (see bench/results/raw/)"
                + (f"; e.g. `{log_['app_exception_sample']}`" if log_.get("app_exception_sample") else "")
                + "."
            )
        if c or log_:
            lines.append("")
        if s.get("error"):
            lines += [f"Error: `{s['error'][:500]}`", ""]
        if not s["steps"]:
            continue
        lines += [
            "| msg/s | sent/s | deliveries/s | p50 ms | p99 ms | max ms | lost | late | dup "
            "| server µs/del | sidebar news | server µs/del incl. news | server CPU | redis µs/del "
            "| loadgen µs/del | loadgen CPU | others' CPU | verdict |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for st in s["steps"]:
            verdict = ("stable" if st["stable"] else ", ".join(st["reasons"])) + (" (retry)" if st.get("retry") else "")
            lost = st["lost"] if st.get("lost_final") is None else st["lost_final"]
            lines.append(
                f"| {_rate(st['rate'])} | {st['achieved_rate']:.1f} | {st['deliveries_per_s']:,.0f} "
                f"| {_ms(st['p50_ms'])} | {_ms(st['p99_ms'])} | {_ms(st['max_ms'])} | {lost} | {st.get('late', 0)} "
                f"| {st['duplicated']} | {_us(st['server_cpu_us_per_delivery'])} | {st.get('news', 0):,} "
                f"| {_us(st.get('server_cpu_us_per_any_delivery'))} | {_shares(st)} "
                f"| {_us(st['redis_cpu_us_per_delivery'])} | {_us(st['loadgen_cpu_us_per_delivery'])} "
                f"| {st['loadgen_cpu_share']:.0%} | {st.get('other_cpu_share', 0):.0%} | {verdict} |"
            )
        lines.append("")
    return "\n".join(lines)


def posts_markdown(results):
    posted = posts_median(results)
    failed = [p for p in results.get("posts", []) if "cpu_ms_p50" not in p]
    if not posted:
        return [f"## Posting\n\nfailed: {failed[0].get('error', '?')[:300]}\n"] if failed else []
    one = posted["median_repeat"]
    lines = [
        "## Posting: one message, one sender alone in a room",
        "",
        f"{one['label']}; {one['messages']} messages per repeat, each sent once the server was quiet and "
        "counted until it was quiet again after the echo. Server CPU from the scheduler's run time of its "
        "threads, less what the idle server ran in as long; statements from the query log of "
        "bench/querylog.py.",
        "",
        "| figure | p50 (median of repeats) | p90 | every repeat's p50 |",
        "|---|---|---|---|",
    ]
    for key, what, fmt in (
        ("cpu_ms", "server CPU per message, ms", "{:.2f}"),
        ("queries", "SQL statements per message", "{:g}"),
        ("round_trip_ms", "send to echo, ms", "{:.1f}"),
    ):
        every = ", ".join(fmt.format(p[f"{key}_p50"]) for p in posted["repeats"])
        lines.append(
            f"| {what} | **{fmt.format(posted[key + '_p50'])}** | {fmt.format(posted[key + '_p90'])} | {every} |"
        )
    lines += [
        "",
        "Statements of one message (the repeat with the median CPU), by text:",
        "",
        "| per message | thread | statement |",
        "|---|---|---|",
    ]
    for st in one["statements_per_message"][:40]:
        sql = st["sql"].replace("|", "\\|")
        lines.append(f"| {st['per_message']:g} | {st['thread']} | `{sql[:300]}` |")
    lines.append("")
    return lines


def plot(results, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.6), dpi=110)
    styles = {
        "ours": ("tab:blue", "o"),
        "ours-2p": ("tab:cyan", "s"),
        "peer": ("tab:red", "^"),
        "bare": ("tab:green", "D"),
        "ours-uvicorn": ("tab:purple", "v"),
        "peer-uvicorn": ("tab:orange", "<"),
        "ours-uvicorn-2p": ("tab:pink", "P"),
        "ours-granian": ("tab:brown", "X"),
        "ours-sqlite": ("tab:olive", "h"),
        "rooms": ("tab:gray", "*"),
    }
    for s in (sweep(results, name) for name in dict.fromkeys(s["name"] for s in results["sweeps"])):
        color, marker = styles.get(s["name"], ("tab:gray", "."))
        last = {}  # rate -> its last attempt (a retry replaces the attempt before it)
        for st in s["steps"]:
            last[st["rate"]] = st
        points = sorted((st["rate"], st["p99_ms"], st["stable"]) for st in last.values() if st["p99_ms"] is not None)
        if not points:
            continue
        ax.plot([p[0] for p in points], [p[1] for p in points], color=color, marker=marker, label=s["label"])
        bad = [p for p in points if not p[2]]
        if bad:
            ax.scatter([p[0] for p in bad], [p[1] for p in bad], color=color, marker="x", s=120, zorder=5)
    ax.axhline(250, color="gray", linestyle="--", linewidth=0.8)
    ax.axhline(2000, color="gray", linestyle=":", linewidth=0.8)
    ax.text(1, 260, "250 ms target", color="gray", fontsize=8)
    ax.text(1, 2100, "2 s stability limit", color="gray", fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("sender rate, messages/s (one room)")
    ax.set_ylabel("p99 fan-out latency, ms (send → last receiver)")
    ax.set_title(f"Fan-out to N={results['config']['receivers']} receivers, one room (x = unstable)")
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(results, out, partial=False):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    compute_targets(results)
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str))
    (out / "results.md").write_text(markdown(results) + "\n")
    if not partial:
        try:
            plot(results, out / "fanout.png")
        except Exception as error:  # noqa: BLE001 - the tables matter more than the picture
            print(f"plot failed: {error}", file=sys.stderr)
