"""Static charts as inline SVG (matplotlib): the same markup renders in browsers and weasyprint."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")  # headless: no display on workers

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

PALETTE = ("#2563eb", "#f97316", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ca8a04", "#64748b")
VERDICT_COLOURS = {
    "winner": "#16a34a",
    "loser": "#dc2626",
    "inconclusive": "#ca8a04",
    "invalid": "#9333ea",
    "not_measurable": "#94a3b8",
    "control": "#94a3b8",
}

plt.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: smaller files, selectable labels
        "font.family": "sans-serif",
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.color": "#e5e7eb",
        "axes.axisbelow": True,
    }
)


def money(value: float, _pos: object = None) -> str:
    """12.3k style axis labels."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:.1f}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:.0f}k"
    return f"{value:.0f}"


_count = itertools.count()


def to_svg(fig: Figure) -> str:
    """The figure as an <svg> element that scales to its container's width."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, count=1, flags=re.DOTALL)
    # every figure numbers its ids from 1: prefix them so several charts share one document
    prefix = f"c{next(_count)}-"
    svg = re.sub(r'id="([^"]+)"', rf'id="{prefix}\1"', svg)
    svg = re.sub(r"(href=\"|url\()#", rf"\1#{prefix}", svg)
    # fixed pt sizes would overflow narrow pages: keep the viewBox, let CSS set the width
    return re.sub(
        r'<svg([^>]*?) width="[^"]+" height="[^"]+"', r'<svg\1 class="chart"', svg, count=1
    )


def colour_map(names: Sequence[str]) -> dict[str, str]:
    """A stable colour per name (channels keep their colour across charts)."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(sorted(names))}


def spend_and_roas(
    weekly: pd.DataFrame,
    week_roas: pd.DataFrame,
    colours: Mapping[str, str],
    partial_week: pd.Timestamp | None = None,
) -> str:
    """Left: weekly spend stacked by channel; right: paid ROAS by channel (report week,
    4 weeks). A `partial_week` (data ends inside it) is hatched and labelled, not read as a fall."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6), width_ratios=(3, 2))
    wide = weekly.pivot_table(index="week", columns="channel", values="spend", aggfunc="sum")
    wide = wide.loc[:, wide.sum() > 0].fillna(0.0)
    bottom = np.zeros(len(wide))
    labels = [
        pd.Timestamp(w).strftime("%d %b") + (" (partial)" if w == partial_week else "")
        for w in wide.index
    ]
    hatch = ["//" if w == partial_week else "" for w in wide.index]
    alpha = [0.45 if w == partial_week else 1.0 for w in wide.index]
    for channel in wide.columns:
        bars = left.bar(labels, wide[channel], bottom=bottom, color=colours[channel], label=channel)
        for bar, h, a in zip(bars, hatch, alpha, strict=True):
            bar.set_hatch(h)
            bar.set_alpha(a)
        bottom += wide[channel].to_numpy()
    left.set_title("Weekly spend by channel", loc="left", fontweight="bold")
    left.yaxis.set_major_formatter(FuncFormatter(money))
    left.tick_params(axis="x", rotation=45)
    left.legend(frameon=False, fontsize=8)
    paid = week_roas[week_roas["spend_4w"] > 0]
    y = np.arange(len(paid))
    right.barh(y - 0.2, paid["roas_week"].fillna(0), 0.4, color="#2563eb", label="report week")
    right.barh(y + 0.2, paid["roas_4w"].fillna(0), 0.4, color="#93c5fd", label="last 4 weeks")
    right.set_yticks(y, paid["channel"])
    right.axvline(1.0, color="#dc2626", linewidth=1, linestyle="--")
    right.set_title("Paid ROAS (attributed revenue / spend)", loc="left", fontweight="bold")
    right.legend(frameon=False, fontsize=8)
    return to_svg(fig)


def attribution_models(shares: pd.DataFrame, colours: Mapping[str, str]) -> str:
    """Share of conversions credited to each channel, one bar per model, channels side by side."""
    wide = shares.pivot_table(index="attribution_model", columns="channel", values="share")
    wide = wide.fillna(0.0)
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(wide) + 1.2))
    left = np.zeros(len(wide))
    for channel in wide.columns:
        ax.barh(wide.index, wide[channel], left=left, color=colours[channel], label=channel)
        for i, value in enumerate(wide[channel]):
            if value >= 0.06:
                ax.text(
                    left[i] + value / 2,
                    i,
                    f"{value:.0%}",
                    ha="center",
                    va="center",
                    color="white",
                    fontsize=8,
                )
        left += wide[channel].to_numpy()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.grid(False)
    ax.legend(
        ncols=min(len(wide.columns), 8),
        frameon=False,
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
    )
    return to_svg(fig)


def funnel(stages: Sequence[tuple[str, float]]) -> str:
    """Horizontal funnel: stage counts with the step-to-step conversion rate."""
    fig, ax = plt.subplots(figsize=(11, 2.8))
    names = [s for s, _ in stages]
    counts = np.array([c for _, c in stages], dtype=float)
    ax.barh(names, counts, color=PALETTE[0])
    top = counts.max() if len(counts) else 0
    for i, count in enumerate(counts):
        step = (
            "" if i == 0 or counts[i - 1] == 0 else f"  ({count / counts[i - 1]:.0%} of previous)"
        )
        ax.text(count + top * 0.01, i, f"{count:,.0f}{step}", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, top * 1.35 or 1)
    ax.grid(False)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    return to_svg(fig)


def mrr_movements(months: pd.DataFrame) -> str:
    """Stacked MRR movements per month (gains up, losses down) and the MRR line."""
    fig, ax = plt.subplots(figsize=(11, 3.6))
    labels = [pd.Timestamp(m).strftime("%b %y") for m in months["month_start"]]
    x = np.arange(len(labels))
    up = np.zeros(len(x))
    for name, colour in (("new", "#16a34a"), ("expansion", "#86efac"), ("reactivation", "#0891b2")):
        ax.bar(x, months[name], bottom=up, color=colour, label=name)
        up += months[name].to_numpy(dtype=float)
    down = np.zeros(len(x))
    for name, colour in (("contraction", "#fdba74"), ("churned", "#dc2626")):
        ax.bar(x, -months[name], bottom=-down, color=colour, label=name)
        down += months[name].to_numpy(dtype=float)
    ax.axhline(0, color="#374151", linewidth=0.8)
    ax.margins(y=0.12)  # room above the tallest stack
    ax.set_xticks(x, labels, rotation=45)
    ax.yaxis.set_major_formatter(FuncFormatter(money))
    ax.set_title("MRR movements per month", loc="left", fontweight="bold")
    total = ax.twinx()
    total.plot(x, months["mrr"], color="#111827", marker="o", markersize=3, label="MRR (right)")
    total.yaxis.set_major_formatter(FuncFormatter(money))
    total.grid(False)
    total.spines["right"].set_visible(True)
    handles = ax.get_legend_handles_labels()
    extra = total.get_legend_handles_labels()
    ax.legend(
        handles[0] + extra[0],
        handles[1] + extra[1],
        frameon=False,
        fontsize=8,
        ncols=6,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.2),
    )
    return to_svg(fig)


def forecast(panels: Sequence[tuple[str, pd.DataFrame, pd.DataFrame]]) -> str:
    """One panel per metric: weekly actuals, then the forecast with 80 % and 95 % bands."""
    fig, axes = plt.subplots(1, len(panels), figsize=(11, 3.4), squeeze=False)
    for ax, (title, history, ahead) in zip(axes[0], panels, strict=True):
        ax.plot(history["date"], history["value"], color="#111827", linewidth=1.4, label="actual")
        ax.fill_between(
            ahead["date"],
            ahead["yhat_lower_95"],
            ahead["yhat_upper_95"],
            color="#bfdbfe",
            label="95 %",
        )
        ax.fill_between(
            ahead["date"],
            ahead["yhat_lower_80"],
            ahead["yhat_upper_80"],
            color="#60a5fa",
            label="80 %",
        )
        ax.plot(
            ahead["date"],
            ahead["yhat"],
            color="#1d4ed8",
            linewidth=1.6,
            linestyle="--",
            label="forecast",
        )
        ax.set_title(title, loc="left", fontweight="bold")
        ax.yaxis.set_major_formatter(FuncFormatter(money))
        ax.tick_params(axis="x", rotation=45)
        ax.legend(frameon=False, fontsize=8)
    return to_svg(fig)


def ranked_bars(labels: Sequence[str], values: Sequence[float], title: str, colour: str) -> str:
    """Horizontal bars, largest on top, values printed as percentages."""
    fig, ax = plt.subplots(figsize=(11, 0.32 * len(labels) + 0.9))
    y = np.arange(len(labels))
    ax.barh(y, values, color=colour)
    ax.set_yticks(y, labels, fontsize=9)
    for i, value in enumerate(values):
        ax.text(value + 0.01, i, f"{value:.0%}", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.08)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(title, loc="left", fontweight="bold")
    return to_svg(fig)


def experiment_lifts(rows: pd.DataFrame) -> str:
    """Forest plot: relative lift vs control with its interval, coloured by verdict."""
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(rows) + 1.0))
    y = np.arange(len(rows))
    for i, row in enumerate(rows.itertuples()):
        colour = VERDICT_COLOURS.get(row.verdict_kind, "#64748b")
        low, high = row.relative_lift_ci_lower, row.relative_lift_ci_upper
        if pd.notna(low) and pd.notna(high):
            ax.plot([low, high], [i, i], color=colour, linewidth=3, solid_capstyle="round")
        if pd.notna(row.relative_lift):
            ax.plot(row.relative_lift, i, "o", color=colour, markersize=7)
    ax.axvline(0, color="#374151", linewidth=1)
    # a tiny arm's interval can span +4000 %: cap the axis so typical lifts stay legible
    highest = rows["relative_lift_ci_upper"].max()
    ax.set_xlim(-1.05, (min(max(highest, 0.5), 2.0) if pd.notna(highest) else 1.0) + 0.05)
    ax.set_yticks(
        y,
        [f"{r.experiment_id} · {r.variant_id} ({r.conversion_event})" for r in rows.itertuples()],
        fontsize=9,
    )
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(
        "Relative lift vs control, interval at each test's alpha; colour = verdict",
        loc="left",
        fontweight="bold",
    )
    return to_svg(fig)
