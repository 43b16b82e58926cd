"""benchmarks/RESULTS.md from the figures: machine header, goal checks, one table per benchmark."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

MB_4GB = 4096
STAGE_COMMANDS = {
    "airflow": "Stages: setup = `mdp setup`; generate = `mdp sandbox up --scale S`; ingest, "
    "transform, train, score = `mdp run --only <stage>` over the world's year; sync = "
    "`mdp run --only activate` (CRM sync, alerts, weekly report).",
    "cli": "Stages: setup = `mdp setup`; generate = `mdp sandbox up --scale S`; ingest = "
    "`mdp ingest <source>` for each source; transform, train, score = `mdp <stage>`; sync = "
    "`mdp sync salesforce` + `mdp sync hubspot`.",
}
Figures = dict[str, Any]


def machine(root: Path) -> dict[str, Any]:
    """Date, git commit, cores, RAM and load average, read now (call it before the runs)."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True
    ).stdout.strip()
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "commit": commit + (" (uncommitted changes)" if dirty else ""),
        "cores": os.cpu_count(),
        "ram_gb": round(ram, 1),
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def _range(s: dict[str, float], digits: int = 1) -> str:
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def _check(
    name: str, value: float | None, limit: float, unit: str, at_most: bool = True
) -> list[str]:
    if value is None:
        return [name, "not run", f"{'<=' if at_most else '>='} {limit:g}{unit}", "NOT RUN"]
    ok = value <= limit if at_most else value >= limit
    sign = "<=" if at_most else ">="
    return [name, f"{value:,.2f}{unit}", f"{sign} {limit:g}{unit}", "PASS" if ok else "FAIL"]


def goal_checks(figures: Figures) -> list[list[str]]:
    """Every goal with its figure: PASS, FAIL, or NOT RUN when its benchmark/scale did not run."""
    pipe = (figures.get("pipeline") or {}).get("scales", {})
    medium, large = pipe.get("medium"), pipe.get("large")
    exponent = next(
        (
            e["total"]
            for e in (figures.get("pipeline") or {}).get("exponents", [])
            if (e["from"], e["to"]) == ("medium", "large")
        ),
        None,
    )
    rows = [
        _check("medium world end to end", medium and medium["total_s"]["median"], 600, " s"),
        _check("large world end to end", large and large["total_s"]["median"], 1800, " s"),
        _check("large world peak RSS (platform stages)", platform_peak(large), MB_4GB, " MB"),
        [
            "large world peak RSS with the sandbox (the emulated SaaS side; no goal)",
            f"{large['peak_system_mb']['max']:,.0f} MB" if large else "not run",
            "-",
            "-",
        ],
        _check("cost exponent medium → large", exponent, 1.1, ""),
    ]
    ingestion = figures.get("ingestion")
    if ingestion:
        slowest = min(_rows_s(t) for t in ingestion["throughput"])
        rows.append(
            _check("slowest connector rows/s", slowest, ingestion["goal_rows_s"], "", False)
        )
    transform = figures.get("transform")
    if transform:
        worst = max(r["ratio"] for r in transform["results"])
        rows.append(_check("dbt build / one DuckDB pass", worst, transform["goal_ratio"], "x"))
    for r in (figures.get("attribution") or {}).get("runs", []):
        if "speedup" in r:  # no goal in the issue: the side-by-side ratio only
            name = f"Markov vs channelattribution ({r['journeys']:,} journeys, order {r['order']})"
            rows.append([name, f"{r['speedup']:,.0f}x faster", "-", "-"])
    crm = figures.get("crm_sync")
    for r in (crm or {}).get("runs", []):
        name = f"CRM Bulk 2.0 vs per-record REST (+{r['latency_ms']:g} ms per call)"
        rows.append(_check(name, r["speedup"], crm["goal"], "x", False))
    if crm and crm.get("break_even_s") is not None:
        name = f"CRM round trip per call from which Bulk 2.0 >= {crm['goal']}x REST"
        rows.append([name, f"{crm['break_even_s'] * 1000:.1f} ms", "-", "-"])
    rows += _reliability_goals(figures.get("reliability"))
    models = figures.get("model_quality")
    if models:
        for t in models["targets"]:
            gap, ece = t.get("gap"), t.get("ece")
            rows.append(
                _check(f"model {t['target']} AUC gap to Bayes", gap, models["gap_goal"], "")
            )
            rows.append(_check(f"model {t['target']} ECE", ece, models["ece_goal"], ""))
    return rows


#: Stages that are the platform's own work; `generate` builds the simulated world and starts the
#: emulators, which stand in for Google's, Meta's and Salesforce's servers.
PLATFORM_STAGES = ("setup", "ingest", "transform", "train", "score", "sync")


def platform_peak(scale: dict[str, Any] | None) -> float | None:
    """The largest peak RSS (max over repeats) of the platform's own stage processes."""
    if not scale:
        return None
    stages = scale["stages"]
    return max(stages[s]["peak_mb"]["max"] for s in PLATFORM_STAGES if s in stages)


def _rows_s(result: dict[str, Any]) -> float:
    rows = sum(s["rows"] for s in result["streams"].values())
    seconds = sum(s["s"] for s in result["streams"].values())
    return rows / seconds if seconds else 0.0


def _pipeline(f: Figures) -> list[str]:
    out = [
        f"Each stage is its own `mdp` process in a fresh MDP_HOME (via {f['via']}). Figures: "
        "median (min–max) over the repeats. Peak RSS: the stage's process tree summed, sampled "
        "from /proc every 0.2 s; “with sandbox” adds the sandbox's tree (world + emulators).",
        "",
        STAGE_COMMANDS[f["via"]],
        "",
    ]
    for scale, agg in f["scales"].items():
        users = f", {agg['users']:,} simulated users" if agg.get("users") else ""
        out += [f"**{scale}**: {agg['repeats']} run(s), {agg['size']:,} raw rows{users}", ""]
        rows = [
            [stage, _range(s["s"]), _range(s["peak_mb"], 0), _range(s["system_mb"], 0)]
            for stage, s in agg["stages"].items()
        ]
        rows.append(
            ["**end to end**", _range(agg["total_s"]), "", _range(agg["peak_system_mb"], 0)]
        )
        out += [*_table(["stage", "seconds", "peak RSS MB", "with sandbox MB"], rows), ""]
    if f["exponents"]:
        stages = list(f["exponents"][0]["stages"])
        rows = [
            [f"{e['from']} → {e['to']}", f"{e['total']:.2f}"]
            + [f"{e['stages'][s]:.2f}" for s in stages]
            for e in f["exponents"]
        ]
        out += ["Cost exponent b in time ∝ (raw rows)^b, from the medians:", ""]
        out += [*_table(["scales", "end to end", *stages], rows), ""]
    return out


def _ingestion(f: Figures) -> list[str]:
    rows = [
        [
            t["source"],
            name,
            t["scale"],
            f"{s['rows']:,}",
            s["s"],
            f"{s['rows_s']:,}",
            t["peak_rss_mb"],
        ]
        for t in f["throughput"]
        for name, s in t["streams"].items()
    ]
    out = _table(["connector", "stream", "scale", "rows", "seconds", "rows/s", "peak RSS MB"], rows)
    ranges = [
        [
            r["source"],
            r["scale"],
            r["short_mb"],
            r["year_mb"],
            f"{r['year_mb'] / r['short_mb']:.2f}",
        ]
        for r in f["range"]
    ]
    return [*out, "", *_table(["connector", "scale", "30 days MB", "365 days MB", "ratio"], ranges)]


def _transform(f: Figures) -> list[str]:
    keys = ("scale", "events", "dbt_build_s", "one_pass_s", "ratio", "build_dag_s", "cosmos_dag_s")
    rows = [[r[k] for k in keys] + [r["peak_rss_mb"]] for r in f["results"]]
    header = ["scale", "raw events", "dbt build s", "one pass s", "ratio", "DAG build s"]
    return _table([*header, "DAG cosmos s", "peak RSS MB"], rows)


def _attribution(f: Figures) -> list[str]:
    rows = []
    for r in f["runs"]:
        theirs = f"{r['theirs_s']:.2f}" if "theirs_s" in r else "not run"
        speedup = f"{r['speedup']:,.0f}x" if "speedup" in r else "-"
        gap = f"{r['share_gap']:.4f}" if "share_gap" in r else "-"
        rows.append(
            [
                f"{r['journeys']:,}",
                f"{r['paths']:,}",
                r["order"],
                f"{r['ours_paths_s']:.3f}",
                theirs,
                speedup,
                gap,
            ]
        )
    header = ["journeys", "unique paths", "order", "ours s", "channelattribution s", "speed-up"]
    return _table([*header, "max credit-share gap"], rows)


def _crm(f: Figures) -> list[str]:
    rows = [
        [
            f"+{r['latency_ms']:g} ms",
            mode,
            r[mode]["records"],
            f"{r[mode]['s']:.2f}",
            f"{r[mode]['records_s']:,.0f}",
            r[mode].get("calls", "-"),
            _per_record_us(r[mode]),
            f"{r['speedup']:.1f}x" if mode == "bulk" else "",
        ]
        for r in f["runs"]
        for mode in ("bulk", "rest")
    ]
    out = [f"{f['scale']} world; a round trip added to every HTTP call of both modes.", ""]
    if f.get("break_even_s") is not None:
        out += [
            f"From the 0 ms run and the HTTP calls each mode made, the Bulk sync reaches "
            f"{f['goal']}x from a round trip of {f['break_even_s'] * 1000:.1f} ms per call.",
            "",
        ]
    header = ["latency", "mode", "records", "seconds", "records/s", "HTTP calls"]
    return out + _table([*header, "emulator µs/record", "Bulk vs per-record"], rows)


def _per_record_us(mode: dict[str, Any]) -> str:
    """The emulator's own time per record (the Salesforce side), when it was measured."""
    if "emulator_s" not in mode:
        return "-"
    return f"{mode['emulator_s'] / mode['records'] * 1e6:.0f}"


def _models(f: Figures) -> list[str]:
    rows = []
    for t in f["targets"]:
        if "error" in t:
            rows.append([t["target"], "not trained", t["error"], "", "", ""])
            continue
        rows.append(
            [
                t["target"],
                t["rows"],
                f"{t['model_auc']:.3f}",
                f"{t['bayes_auc']:.3f}",
                f"{t['gap']:+.3f}",
                f"{t['ece']:.3f}",
            ]
        )
    out = [f"{f['scale']} world.", ""]
    return out + _table(["target", "eval rows", "model AUC", "Bayes AUC", "gap", "ECE"], rows)


def _first_runs(f: Figures, rate: float) -> list[dict[str, Any]]:
    return [r["runs"][0] for r in f["results"] if r["rate"] == rate and r["runs"]]


def first_losses(f: Figures, rate: float) -> tuple[int, int]:
    """Rows lost and rows duplicated by the first runs at a fault rate, all sources."""
    tables = [t for run in _first_runs(f, rate) for t in run["tables"]]
    return sum(t["lost"] for t in tables), sum(t["duplicated"] for t in tables)


def _rates(f: Figures) -> list[float]:
    return sorted({r["rate"] for r in f["results"]})


def _reliability_goals(f: Figures | None) -> list[list[str]]:
    """Per fault rate: rows lost + duplicated by the first runs (goal 0), and runs that raised."""
    if not f:
        return []
    rows = []
    for rate in _rates(f):
        name = f"rows lost + duplicated, {rate:.0%} of API calls faulty (first run)"
        bad = sum(first_losses(f, rate))
        rows.append([name, f"{bad:,}", "0", "PASS" if bad == 0 else "FAIL"])
        raised = sum(run["error"] is not None for run in _first_runs(f, rate))
        total = sum(r["rate"] == rate for r in f["results"])
        name = f"runs that raised, {rate:.0%} of API calls faulty"
        rows.append([name, f"{raised} of {total}", "-", "-"])
    return rows


def _reliability_rows(f: Figures) -> list[list[Any]]:
    """One row per (rate, source, run, raw table); a run's own figures on its first row."""
    rows: list[list[Any]] = []
    for result in f["results"]:
        rate, source = f"{result['rate']:.0%}", result["source"]
        if not result["runs"]:
            rows.append([rate, source, "", "FAILED", "", "", "", result["error"], *[""] * 6])
        for run in result["runs"]:
            status = "ok" if run["error"] is None else "raised"
            faults = sum(run["faults"].values())
            head = [rate, source, run["run"], status, faults, run["retries"], run["seconds"]]
            for t in run["tables"]:
                keys = ("truth_rows", "raw_rows", "lost", "duplicated", "changed", "extra")
                rows.append([*head, t["table"], *(f"{t[k]:,}" for k in keys)])
                head = [rate, source, run["run"], "", "", "", ""]
    return rows


def _reliability(f: Figures) -> list[str]:
    meta = f.get("meta") or {}
    ran = f" Run at {meta['commit']} on {meta['date']} (`{meta['command']}`)," if meta else ""
    out = [
        f"{f['scale']} world, seed {f['seed']}: each source syncs the full year against its "
        "emulator, which answers the given share of API calls with a transport fault (rate "
        "limit, server error, timeout, expired token), into a fresh DuckDB; client timeout "
        f"{f['timeout_s']:g} s, retry waits shortened (the attempts are each connector's "
        f"own).{ran} {f['wall_s']:,.0f} s in all.",
        "",
        "Against the world's truth: **lost** = truth rows missing from the raw table, **dup** = "
        "raw rows beyond the first of their natural key, **changed** = keys whose raw row "
        "differs in a compared column, **extra** = raw keys the truth does not have. "
        "raw.ga4_events has no key: it is compared per day as a multiset of row contents. "
        "A run that raised is run once more (run 2), as a scheduled retry of the task would.",
        "",
    ]
    for rate in _rates(f):
        lost, dup = first_losses(f, rate)
        verdict = "PASS" if lost == dup == 0 else "FAIL"
        out.append(
            f"- {rate:.0%} of API calls faulty, first runs: {lost:,} lost, {dup:,} duplicated "
            f"(goal 0 and 0): {verdict}"
        )
    header = ["faulty calls", "source", "run", "result", "faults", "retries", "seconds"]
    header += ["raw table", "truth rows", "raw rows", "lost", "dup", "changed", "extra"]
    out += ["", *_table(header, _reliability_rows(f))]
    raised = [
        f"- {r['source']} at {r['rate']:.0%}, run {run['run']}: {run['error']}"
        for r in f["results"]
        for run in r["runs"]
        if run["error"] is not None
    ]
    raised += [
        f"- {r['source']} at {r['rate']:.0%}: {r['error']}" for r in f["results"] if not r["runs"]
    ]
    return out + (["", "Runs that raised:", "", *raised] if raised else [])


def _sandbox(f: Figures) -> list[str]:
    keys = ("scale", "generate_s", "save_s", "peak_rss_mb", "parquet_mb", "users")
    return _table(list(keys), [[r[k] for k in keys] for r in f["results"]])


SECTIONS: dict[str, tuple[str, Callable[[Figures], list[str]]]] = {
    "pipeline": ("Pipeline end to end, per stage", _pipeline),
    "ingestion": ("Ingestion throughput (full-year sync)", _ingestion),
    "transform": ("Transform vs one DuckDB pass", _transform),
    "attribution": ("Markov attribution: ours vs channelattribution", _attribution),
    "crm_sync": ("CRM sync: Bulk 2.0 vs per-record REST", _crm),
    "reliability": ("Reliability under API faults: rows vs the world's truth", _reliability),
    "model_quality": ("Model quality vs the world's truth", _models),
    "sandbox_world": ("Sandbox world generation", _sandbox),
}


def render(meta: dict[str, Any], figures: Figures, failed: dict[str, str] | None = None) -> str:
    """The whole RESULTS.md: header, goal checks, then one section per benchmark that ran."""
    failed = failed or {}
    load = ", ".join(str(x) for x in meta["load"])
    lines = [
        "# Benchmark results",
        "",
        f"- date: {meta['date']}",
        f"- git commit: {meta['commit']}",
        f"- machine: {meta['cores']} cores, {meta['ram_gb']} GB RAM, load average at start {load}",
        f"- command: `{meta.get('command', 'make bench')}`",
        "",
        "## Goals",
        "",
        *_table(["goal", "figure", "target", "result"], goal_checks(figures)),
    ]
    for key, (title, section) in SECTIONS.items():
        if key in failed:
            lines += ["", f"## {title}", "", f"FAILED: {failed[key]}"]
        elif figures.get(key):
            lines += ["", f"## {title}", "", *section(figures[key])]
    return "\n".join(lines) + "\n"


def refresh_section(path: Path, key: str, figures: Figures) -> None:
    """Replace one benchmark's section of an existing RESULTS.md (append it when absent),
    leaving the header, the goals and the other sections as they are."""
    title, section = SECTIONS[key]
    heading = f"## {title}"
    block = [heading, "", *section(figures)]
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    lines = text.rstrip("\n").split("\n")
    if heading in lines:
        first = lines.index(heading)
        after = [i for i in range(first + 1, len(lines)) if lines[i].startswith("## ")]
        last = after[0] if after else len(lines)
        lines[first:last] = [*block, ""] if after else block
    else:
        lines += ["", *block]
    path.write_text("\n".join(lines) + "\n")
