"""Per experiment, variant and conversion event: rates, lift vs control, SRM and a verdict."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import pyarrow as pa

from activation.experiments import stats
from mdp.errors import ConfigError
from mdp.settings import ExperimentSettings

SOURCE = "marts.fct_experiment_results"
TABLE = "activation.experiment_results"
KEYS = ("experiment_id", "variant_id", "conversion_event")

#: The short outcome behind each verdict sentence (colours in the CLI and the report).
KINDS = ("control", "winner", "loser", "inconclusive", "invalid", "not_measurable")

SCHEMA = pa.schema(
    [
        ("experiment_id", pa.string()),
        ("variant_id", pa.string()),
        ("conversion_event", pa.string()),
        ("is_control", pa.bool_()),
        ("is_primary", pa.bool_()),
        ("exposed_users", pa.int64()),
        ("converted_users", pa.int64()),
        ("conversion_rate", pa.float64()),
        ("control_conversion_rate", pa.float64()),
        ("absolute_lift", pa.float64()),
        ("absolute_lift_ci_lower", pa.float64()),
        ("absolute_lift_ci_upper", pa.float64()),
        ("relative_lift", pa.float64()),
        ("relative_lift_ci_lower", pa.float64()),
        ("relative_lift_ci_upper", pa.float64()),
        ("z_statistic", pa.float64()),
        ("p_value", pa.float64()),
        ("alpha", pa.float64()),
        ("power", pa.float64()),
        ("mde_absolute", pa.float64()),
        ("mde_relative", pa.float64()),
        ("designed_share", pa.float64()),
        ("observed_share", pa.float64()),
        ("allocation_source", pa.string()),
        ("srm_chi2", pa.float64()),
        ("srm_p_value", pa.float64()),
        ("srm_detected", pa.bool_()),
        ("verdict_kind", pa.string()),
        ("verdict", pa.string()),
        ("method", pa.string()),
        ("analysed_at", pa.timestamp("us", tz="UTC")),
    ]
)


@dataclass(frozen=True)
class Design:
    """One experiment's designed allocation and where it came from."""

    shares: dict[str, float]
    source: str  # "config" or "assumed equal (not configured)"


def design_of(experiment: str, variants: list[str], config: ExperimentSettings) -> Design:
    """The configured allocation, or equal shares (said so in `source`) when none is set."""
    configured = config.allocations.get(experiment)
    if not configured:
        return Design({v: 1 / len(variants) for v in variants}, "assumed equal (not configured)")
    unknown = sorted(set(variants) - set(configured))
    if unknown:
        raise ConfigError(
            f"MDP_EXPERIMENTS__ALLOCATIONS for {experiment!r} lacks variant(s) "
            f"{', '.join(unknown)}: give every variant the experiment shows its designed share"
        )
    if any(share <= 0 for share in configured.values()):
        raise ConfigError(f"MDP_EXPERIMENTS__ALLOCATIONS for {experiment!r}: shares must be > 0")
    total = sum(configured.values())
    return Design({v: s / total for v, s in configured.items()}, "config")


def _pct(value: float) -> str:
    return f"{value:+.1%}"


def verdict(row: dict[str, Any], srm_p: float, srm_alpha: float) -> tuple[str, str]:
    """(kind, sentence) for one variant row whose lift columns are filled in."""
    if row["is_control"]:
        return "control", "control (baseline)"
    if srm_p < srm_alpha:
        return "invalid", f"invalid: sample-ratio mismatch p={srm_p:.2g}"
    if row["z_statistic"] is None:
        return "not_measurable", "not measurable: no control arm with users"
    pooled = row["converted_users"] + row["control_converted_users"]
    if pooled in (0, row["exposed_users"] + row["control_exposed_users"]):
        return "not_measurable", "not measurable: the same outcome for every user in both arms"
    if row["p_value"] < row["alpha"]:
        kind = "winner" if row["absolute_lift"] > 0 else "loser"
        return kind, f"{kind} ({_pct(row['relative_lift'] or 0)} relative, p={row['p_value']:.2g})"
    if row["mde_absolute"] is None:
        return "inconclusive", "no detectable difference (too few users for any MDE)"
    return "inconclusive", (
        f"no detectable difference (MDE {_pct(row['mde_relative'])} relative, "
        f"{row['mde_absolute'] * 100:+.1f} pp at current n)"
    )


def _compare(
    row: dict[str, Any], control: dict[str, Any] | None, alpha: float, power: float
) -> None:
    """Fill in the lift, test and MDE columns of a treatment row against its control."""
    row["alpha"], row["power"] = alpha, power
    empty = (
        "absolute_lift",
        "absolute_lift_ci_lower",
        "absolute_lift_ci_upper",
        "relative_lift",
        "relative_lift_ci_lower",
        "relative_lift_ci_upper",
        "z_statistic",
        "p_value",
        "mde_absolute",
        "mde_relative",
        "control_conversion_rate",
    )
    row.update(dict.fromkeys(empty))
    row["control_converted_users"] = row["control_exposed_users"] = 0
    if control is None or control["exposed_users"] == 0 or row["exposed_users"] == 0:
        return
    xc, nc = control["converted_users"], control["exposed_users"]
    xt, nt = row["converted_users"], row["exposed_users"]
    row.update(
        control_converted_users=xc, control_exposed_users=nc, control_conversion_rate=xc / nc
    )
    if row["is_control"]:
        return
    test = stats.lift_test(xt, nt, xc, nc, alpha)
    row.update(
        absolute_lift=test.absolute_lift,
        absolute_lift_ci_lower=test.absolute_ci[0],
        absolute_lift_ci_upper=test.absolute_ci[1],
        relative_lift=test.relative_lift,
        z_statistic=test.z_statistic,
        p_value=test.p_value,
    )
    if test.relative_ci is not None:
        row.update(
            relative_lift_ci_lower=test.relative_ci[0], relative_lift_ci_upper=test.relative_ci[1]
        )
    mde = stats.minimum_detectable_effect(xc / nc, nc, nt, alpha, power)
    if mde is not None:
        row.update(mde_absolute=mde, mde_relative=mde / (xc / nc))


def analyse_experiment(frame: pd.DataFrame, config: ExperimentSettings) -> list[dict[str, Any]]:
    """Rows for one experiment (all its variants and conversion events)."""
    experiment = str(frame["experiment_id"].iloc[0])
    exposed = frame.groupby("variant_id")["exposed_users"].max()
    design = design_of(experiment, sorted(exposed.index), config)
    variants = sorted(design.shares)
    observed = [int(exposed.get(v, 0)) for v in variants]
    srm = stats.sample_ratio_check(observed, [design.shares[v] for v in variants])
    treatments = [v for v in variants if v != config.control_variant]
    # Bonferroni over the treatments: each compared with the same control
    alpha = config.alpha / max(len(treatments), 1)
    primary = config.primary_events.get(experiment)
    rows = []
    for event, group in frame.groupby("conversion_event", sort=True):
        records = {r["variant_id"]: r for r in group.to_dict("records")}
        control = records.get(config.control_variant)
        for variant in sorted(records):
            row = {
                k: records[variant][k]
                for k in (
                    "experiment_id",
                    "variant_id",
                    "conversion_event",
                    "exposed_users",
                    "converted_users",
                )
            }
            row["is_control"] = variant == config.control_variant
            row["is_primary"] = primary == event if primary else True
            row["conversion_rate"] = (
                row["converted_users"] / row["exposed_users"] if row["exposed_users"] else None
            )
            _compare(row, control, alpha, config.power)
            row.update(
                designed_share=design.shares[variant],
                observed_share=row["exposed_users"] / max(sum(observed), 1),
                allocation_source=design.source,
                srm_chi2=srm.chi2,
                srm_p_value=srm.p_value,
                srm_detected=srm.p_value < config.srm_alpha,
            )
            row["verdict_kind"], row["verdict"] = verdict(row, srm.p_value, config.srm_alpha)
            rows.append(row)
    return rows


def analyse(results: pd.DataFrame, config: ExperimentSettings) -> pa.Table:
    """The experiment results table from the mart's counts (one row per experiment, variant
    and conversion event)."""
    rows: list[dict[str, Any]] = []
    for _, frame in results.groupby("experiment_id", sort=True):
        rows.extend(analyse_experiment(frame, config))
    now = datetime.now(UTC)
    for row in rows:
        row["method"] = stats.METHOD
        row["analysed_at"] = now
    columns = {name: [row.get(name) for row in rows] for name in SCHEMA.names}
    return pa.table(columns, schema=SCHEMA)
