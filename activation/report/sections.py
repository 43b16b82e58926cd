"""The report's sections: each reads its tables, or says which one is missing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from activation.report import charts
from mdp.settings import Settings
from mdp.warehouse import Warehouse
from mdp.warehouse.sql import as_double, date_literal, string_literal, week_start


@dataclass
class Section:
    """One block of the report: a chart, a table and notes, or why it is empty."""

    key: str
    title: str
    missing: str | None = None  # the reason the section has no content
    charts: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kpis: list[tuple[str, str, str]] = field(default_factory=list)  # label, value, change

    @property
    def state(self) -> str:
        """'ok' or the missing reason, for the CLI summary."""
        return self.missing or "ok"


@dataclass(frozen=True)
class Context:
    """What every section builder gets."""

    warehouse: Warehouse
    settings: Settings
    week_start: date

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)

    def name(self, table: str) -> str:
        return self.warehouse.qualified_name(table)

    def df(self, sql: str, **tables: str) -> pd.DataFrame:
        """Run `sql` with {placeholders} replaced by the tables' physical names."""
        return self.warehouse.query(
            sql.format(**{k: self.name(v) for k, v in tables.items()})
        ).to_pandas()

    def double(self, expr: str) -> str:
        """`expr` cast to a float in the warehouse's dialect (NUMERIC money columns)."""
        return as_double(self.warehouse.dialect_name, expr)

    def absent(self, *tables: str) -> list[str]:
        return [t for t in tables if not self.warehouse.table_exists(t)]


def _missing(key: str, title: str, tables: Sequence[str], hint: str) -> Section:
    return Section(key, title, missing=f"{', '.join(tables)} not found yet ({hint})")


def latest(alias: str) -> str:
    """Filter on a score table's latest snapshot (score tables keep every snapshot)."""
    return f"feature_snapshot_date = (select max(feature_snapshot_date) from {{{alias}}})"


def _money(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else f"{float(value):,.0f}"


def _pct(value: Any, digits: int = 1) -> str:
    return "-" if value is None or pd.isna(value) else f"{float(value):.{digits}%}"


def _change(now: float, before: float) -> str:
    if not before:
        return ""
    return f"{now / before - 1:+.0%} vs previous week"


ROI = "marts.fct_channel_roi_daily"


def spend_roas(ctx: Context) -> Section:
    """Spend, attributed revenue and ROAS by channel: the week, 4 weeks and a 12-week trend."""
    key, title = "spend", "Spend and ROAS by channel"
    if ctx.absent(ROI):
        return _missing(key, title, [ROI], "build the marts: mdp transform")
    model = ctx.settings.report.attribution_model
    first = ctx.week_start - timedelta(weeks=11)
    daily = ctx.df(
        f"select date_day, channel, {ctx.double('spend')} as spend, attributed_revenue, leads"
        " from {roi} where attribution_model = "
        + string_literal(model)
        + f" and date_day between {date_literal(first)} and {date_literal(ctx.week_end)}",
        roi=ROI,
    )
    if daily.empty:
        return Section(
            key, title, missing=f"no {model} rows in {ROI} for the 12 weeks to {ctx.week_end}"
        )
    daily["date_day"] = pd.to_datetime(daily["date_day"])
    daily["week"] = daily["date_day"].dt.to_period("W-SUN").dt.start_time
    colours = charts.colour_map(daily["channel"].unique())
    this_week = daily[daily["week"] == pd.Timestamp(ctx.week_start)]
    prev_week = daily[daily["week"] == pd.Timestamp(ctx.week_start - timedelta(weeks=1))]
    last4 = daily[daily["week"] >= pd.Timestamp(ctx.week_start - timedelta(weeks=3))]
    by_channel = (
        this_week.groupby("channel")[["spend", "attributed_revenue", "leads"]]
        .sum()
        .join(
            last4.groupby("channel")[["spend", "attributed_revenue"]].sum(),
            rsuffix="_4w",
            how="outer",
        )
        .fillna(0.0)
        .reset_index()
    )
    by_channel["roas_week"] = by_channel["attributed_revenue"] / by_channel["spend"].where(
        by_channel["spend"] > 0
    )
    by_channel["roas_4w"] = by_channel["attributed_revenue_4w"] / by_channel["spend_4w"].where(
        by_channel["spend_4w"] > 0
    )
    by_channel = by_channel.sort_values("attributed_revenue_4w", ascending=False)
    section = Section(key, title)
    totals = [
        (c, this_week[c].sum(), prev_week[c].sum())
        for c in ("spend", "attributed_revenue", "leads")
    ]
    (_, spend, spend0), (_, revenue, revenue0), (_, leads, leads0) = totals
    section.kpis = [
        ("Spend", _money(spend), _change(spend, spend0)),
        ("Attributed revenue", _money(revenue), _change(revenue, revenue0)),
        ("Blended ROAS", f"{revenue / spend:.2f}" if spend else "-", ""),
        ("Leads", f"{leads:,.0f}", _change(leads, leads0)),
    ]
    weekly = daily.groupby(["week", "channel"], as_index=False)["spend"].sum()
    section.charts.append(charts.spend_and_roas(weekly, by_channel, colours))
    section.columns = [
        "channel",
        "spend (week)",
        "attributed revenue (week)",
        "ROAS (week)",
        "spend (4 weeks)",
        "ROAS (4 weeks)",
        "leads (week)",
    ]
    section.rows = [
        [
            r.channel,
            _money(r.spend),
            _money(r.attributed_revenue),
            "-" if pd.isna(r.roas_week) else f"{r.roas_week:.2f}",
            _money(r.spend_4w),
            "-" if pd.isna(r.roas_4w) else f"{r.roas_4w:.2f}",
            f"{r.leads:,.1f}",
        ]
        for r in by_channel.itertuples()
    ]
    section.notes.append(f"Revenue attributed with the {model} model; the red line marks ROAS 1.")
    return section


CREDITS, ML_CREDITS = "marts.fct_attribution_credits", "scores.attribution_credits"


def attribution(ctx: Context) -> Section:
    """Lead credit share by channel under every rule-based and data-driven model."""
    key, title = "attribution", "Attribution models side by side"
    if ctx.absent(CREDITS):
        return _missing(key, title, [CREDITS], "build the marts: mdp transform")
    first = ctx.week_start - timedelta(weeks=11)
    days = f"{date_literal(first)} and {date_literal(ctx.week_end)}"
    window = f"conversion_type = 'lead' and conversion_date between {days}"
    sql = (
        "select attribution_model, channel, sum(credit) as credit from {t} where "
        + window
        + " group by 1, 2"
    )
    frames = [ctx.df(sql, t=CREDITS)]
    section = Section(key, title)
    if ctx.absent(ML_CREDITS):
        section.notes.append(
            f"{ML_CREDITS} not found yet (markov and shapley appear after mdp score attribution)."
        )
    else:
        frames.append(
            ctx.df(
                sql.replace(
                    " group by",
                    " and " + latest("t") + " group by",
                ),
                t=ML_CREDITS,
            )
        )
    credits = pd.concat(frames, ignore_index=True)
    if credits.empty:
        return Section(
            key, title, missing=f"no lead conversions between {first} and {ctx.week_end}"
        )
    credits["share"] = credits["credit"] / credits.groupby("attribution_model")["credit"].transform(
        "sum"
    )
    colours = charts.colour_map(credits["channel"].unique())
    section.charts.append(charts.attribution_models(credits, colours))
    wide = credits.pivot_table(index="channel", columns="attribution_model", values="share").fillna(
        0.0
    )
    section.columns = ["channel", *wide.columns]
    section.rows = [
        [str(ch), *(_pct(v) for v in values)]
        for ch, values in zip(wide.index, wide.to_numpy(), strict=True)
    ]
    section.notes.insert(
        0, f"Share of lead conversions credited to each channel, {first} to {ctx.week_end}."
    )
    return section


FUNNEL = "marts.fct_funnel"
STAGES = (
    ("Leads", "leads"),
    ("MQLs", "mqls"),
    ("SQLs", "sqls"),
    ("Opportunities", "opportunities"),
    ("Won", "won_deals"),
)


def funnel(ctx: Context) -> Section:
    """Lead-to-won funnel of the last six lead cohorts, with the split by lead source."""
    key, title = "funnel", "Funnel conversion"
    if ctx.absent(FUNNEL):
        return _missing(key, title, [FUNNEL], "build the marts: mdp transform")
    last = ctx.week_end.replace(day=1)
    first = (pd.Timestamp(last) - pd.DateOffset(months=5)).date()
    rows = ctx.df(
        "select lead_source, " + ", ".join(f"sum({c}) as {c}" for _, c in STAGES) + " from {f}"
        f" where cohort_month between {date_literal(first)} and {date_literal(last)}"
        " group by 1 order by 2 desc",
        f=FUNNEL,
    )
    if rows.empty:
        return Section(key, title, missing=f"no lead cohorts between {first} and {last}")
    section = Section(key, title)
    section.charts.append(charts.funnel([(name, float(rows[c].sum())) for name, c in STAGES]))
    section.columns = ["lead source", *(n for n, _ in STAGES), "lead → won"]
    section.rows = [
        [
            str(r["lead_source"]),
            *(f"{r[c]:,.0f}" for _, c in STAGES),
            _pct(r["won_deals"] / r["leads"] if r["leads"] else None),
        ]
        for _, r in rows.iterrows()
    ]
    section.notes.append(
        f"Lead cohorts {first:%b %Y} to {last:%b %Y}; recent cohorts are still maturing, so their "
        "later stages look thinner."
    )
    return section


MRR = "marts.fct_mrr_monthly"


def mrr(ctx: Context) -> Section:
    """MRR movements and churn over the last 12 months."""
    key, title = "mrr", "MRR movements and churn"
    if ctx.absent(MRR):
        return _missing(key, title, [MRR], "build the marts: mdp transform")
    last = ctx.week_end.replace(day=1)
    first = (pd.Timestamp(last) - pd.DateOffset(months=11)).date()
    sums = ", ".join(
        f"sum({ctx.double(column)}) as {alias}"
        for column, alias in (
            ("mrr", "mrr"),
            ("new_mrr", "new_mrr"),  # NEW is a reserved word on BigQuery: renamed below
            ("expansion_mrr", "expansion"),
            ("reactivation_mrr", "reactivation"),
            ("contraction_mrr", "contraction"),
            ("churned_mrr", "churned"),
        )
    )
    months = ctx.df(
        f"select month_start, {sums},"
        " count(case when movement_type = 'churned' then 1 end) as churned_accounts,"
        " count(case when previous_mrr > 0 then 1 end) as start_accounts"
        f" from {{m}} where month_start between {date_literal(first)} and {date_literal(last)}"
        " group by 1 order by 1",
        m=MRR,
    ).rename(columns={"new_mrr": "new"})
    if months.empty:
        return Section(key, title, missing=f"no MRR months between {first} and {last}")
    months[["contraction", "churned"]] = months[["contraction", "churned"]].abs()
    section = Section(key, title)
    latest = months.iloc[-1]
    previous = months.iloc[-2] if len(months) > 1 else latest
    section.kpis = [
        (
            "MRR",
            _money(latest["mrr"]),
            _change(latest["mrr"], previous["mrr"]).replace("week", "month"),
        ),
        (
            "Net new MRR",
            _money(
                latest["new"]
                + latest["expansion"]
                + latest["reactivation"]
                - latest["contraction"]
                - latest["churned"]
            ),
            "",
        ),
        ("Churned accounts", f"{latest['churned_accounts']:,}", ""),
        (
            "Logo churn",
            _pct(
                latest["churned_accounts"] / latest["start_accounts"]
                if latest["start_accounts"]
                else None
            ),
            "",
        ),
    ]
    section.charts.append(charts.mrr_movements(months))
    section.columns = [
        "month",
        "MRR",
        "new",
        "expansion",
        "reactivation",
        "contraction",
        "churned",
        "churned accounts",
        "logo churn",
    ]
    section.rows = [
        [
            f"{pd.Timestamp(r.month_start):%b %Y}",
            *(
                _money(v)
                for v in (r.mrr, r.new, r.expansion, r.reactivation, r.contraction, r.churned)
            ),
            f"{r.churned_accounts:,}",
            _pct(r.churned_accounts / r.start_accounts if r.start_accounts else None),
        ]
        for r in months.iloc[::-1].itertuples()
    ]
    section.notes.append(
        "Months to the report week's month; the current month is still in progress."
    )
    return section


FORECASTS = "scores.forecasts"


def forecast(ctx: Context) -> Section:
    """Weekly leads and revenue: 12 weeks of actuals, then the forecast with 80/95 % bands."""
    key, title = "forecast", "Forecast"
    if ctx.absent(FORECASTS):
        return _missing(
            key,
            title,
            [FORECASTS],
            "train and score: mdp train forecasting && mdp score forecasting",
        )
    ahead = ctx.df(
        "select metric, date, yhat, yhat_lower_80, yhat_upper_80, yhat_lower_95, yhat_upper_95,"
        " model, as_of"
        " from {f} where frequency = 'weekly' and channel = '(all)'"
        " and " + latest("f") + " order by metric, date",
        f=FORECASTS,
    )
    if ahead.empty:
        return Section(key, title, missing=f"{FORECASTS} has no weekly all-channel series")
    ahead["date"] = pd.to_datetime(ahead["date"])
    as_of = pd.Timestamp(ahead["as_of"].max())
    history = pd.DataFrame(columns=["week", "leads", "revenue"])
    if not ctx.absent(ROI):
        first = (as_of - pd.Timedelta(weeks=16)).date()
        week = week_start(ctx.warehouse.dialect_name, "date_day")
        history = ctx.df(
            f"select {week} as week, sum(leads) as leads, sum(attributed_revenue) as revenue"
            " from {roi} where attribution_model = 'linear'"
            f" and date_day between {date_literal(first)} and {date_literal(as_of.date())}"
            " group by 1 order by 1",
            roi=ROI,
        )
    panels = []
    for metric, group in ahead.groupby("metric", sort=True):
        past = pd.DataFrame(
            {
                "date": pd.to_datetime(history["week"]),
                "value": history.get(metric, pd.Series(dtype=float)),
            }
        )
        panels.append((f"{metric} per week", past, group))
    section = Section(key, title)
    section.charts.append(charts.forecast(panels))
    section.columns = ["metric", "week", "forecast", "80 % interval", "95 % interval", "model"]
    for metric, group in ahead.groupby("metric", sort=True):
        for r in group.head(4).itertuples():
            section.rows.append(
                [
                    str(metric),
                    f"{r.date:%d %b %Y}",
                    _money(r.yhat),
                    f"{_money(r.yhat_lower_80)} – {_money(r.yhat_upper_80)}",
                    f"{_money(r.yhat_lower_95)} – {_money(r.yhat_upper_95)}",
                    str(r.model),
                ]
            )
    section.notes.append(f"Forecast as of {as_of:%d %b %Y}; the table lists the next four weeks.")
    return section


CHURN, CUSTOMERS = "scores.churn_scores", "marts.dim_customers"


def at_risk(ctx: Context) -> Section:
    """The accounts most likely to churn, with the MRR they carry and the main reason."""
    key, title = "at_risk", "Top at-risk accounts"
    if ctx.absent(CHURN):
        return _missing(key, title, [CHURN], "train and score: mdp train churn && mdp score churn")
    join = not ctx.absent(CUSTOMERS)
    names = (
        f"c.account_name, {ctx.double('c.current_mrr')} as mrr"
        if join
        else "null as account_name, null as mrr"
    )
    sql = (
        "select s.account_id, s.horizon_months, s.probability, s.risk_score, s.risk_level, "
        "s.reason_1, "
        + names
        + " from {s} as s"
        + (" left join {c} as c on s.account_id = c.account_id" if join else "")
        + " where s.feature_snapshot_date = (select max(feature_snapshot_date) from {s})"
        " and s.horizon_months = (select max(horizon_months) from {s})"
        f" order by s.probability desc limit {int(ctx.settings.report.top_n)}"
    )
    top = ctx.df(sql, s=CHURN, **({"c": CUSTOMERS} if join else {}))
    if top.empty:
        return Section(key, title, missing=f"{CHURN} is empty")
    section = Section(key, title)
    labels = [f"{r.account_name or r.account_id} ({_money(r.mrr)}/mo)" for r in top.itertuples()]
    horizon = int(top["horizon_months"].iloc[0])
    section.charts.append(
        charts.ranked_bars(
            labels,
            top["probability"].tolist(),
            f"Churn risk: chance of cancelling within {horizon} months",
            "#dc2626",
        )
    )
    # the risk as the CRM shows it (0-100) beside its level
    section.columns = ["account", "churn risk", "level", "MRR", "main reason"]
    section.rows = [
        [
            str(r.account_name or r.account_id),
            str(r.risk_score),
            str(r.risk_level),
            _money(r.mrr),
            str(r.reason_1 or ""),
        ]
        for r in top.itertuples()
    ]
    return section


LEADS, LEAD_MART = "scores.lead_scores", "marts.fct_leads"
TIER_ORDER = {"Hot": 0, "Warm": 1, "Cold": 2}


def hot_leads(ctx: Context) -> Section:
    """The highest-scoring open leads in the hot tier."""
    key, title = "hot_leads", "Hot leads"
    if ctx.absent(LEADS):
        return _missing(
            key, title, [LEADS], "train and score: mdp train lead_scoring && mdp score lead_scoring"
        )
    join = not ctx.absent(LEAD_MART)
    extra = (
        "l.company_name, l.lead_source, l.owner_name"
        if join
        else "null as company_name, null as lead_source, null as owner_name"
    )
    sql = (
        "select s.lead_id, s.score, s.probability, s.tier, s.reason_1, "
        + extra
        + " from {s} as s"
        + (" left join {l} as l on s.lead_id = l.lead_id" if join else "")
        + " where s.feature_snapshot_date = (select max(feature_snapshot_date) from {s})"
        f" and s.tier = 'Hot' order by s.probability desc limit {int(ctx.settings.report.top_n)}"
    )
    top = ctx.df(sql, s=LEADS, **({"l": LEAD_MART} if join else {}))
    tiers = ctx.df(
        "select tier, count(*) as n from {s} where " + latest("s") + " group by 1",
        s=LEADS,
    )
    section = Section(key, title)
    section.notes.append(
        "Scored leads by tier: "
        + ", ".join(
            f"{r.tier} {r.n:,}"
            for r in tiers.sort_values("tier", key=lambda t: t.map(TIER_ORDER)).itertuples()
        )
        + "."
    )
    if top.empty:
        section.missing = "no lead in the Hot tier this week"
        return section
    section.charts.append(
        charts.ranked_bars(
            [f"{r.company_name or r.lead_id}" for r in top.itertuples()],
            top["probability"].tolist(),
            "Lead score: chance of a won deal within 90 days",
            "#16a34a",
        )
    )
    # the score as the CRM shows it (0-100)
    section.columns = ["lead", "company", "lead score", "source", "owner", "main reason"]
    section.rows = [
        [
            str(r.lead_id),
            str(r.company_name or "-"),
            str(r.score),
            str(r.lead_source or "-"),
            str(r.owner_name or "-"),
            str(r.reason_1 or ""),
        ]
        for r in top.itertuples()
    ]
    return section


EXPERIMENTS = "activation.experiment_results"


def experiments(ctx: Context) -> Section:
    """Verdict per experiment variant on its primary conversion (see `mdp experiments`)."""
    key, title = "experiments", "Experiment results"
    if ctx.absent(EXPERIMENTS):
        return _missing(key, title, [EXPERIMENTS], "analyse them: mdp experiments")
    rows = ctx.df(
        "select * from {e} where is_primary"
        " order by experiment_id, conversion_event, is_control desc, variant_id",
        e=EXPERIMENTS,
    )
    if rows.empty:
        return Section(key, title, missing=f"{EXPERIMENTS} has no rows")
    section = Section(key, title)
    treated = rows[~rows["is_control"]]
    if not treated.empty:
        section.charts.append(charts.experiment_lifts(treated))
    section.columns = [
        "experiment",
        "variant",
        "event",
        "users (share / design)",
        "conversion",
        "relative lift [CI]",
        "p",
        "verdict",
    ]
    for r in rows.itertuples():
        interval = (
            ""
            if pd.isna(r.relative_lift_ci_lower)
            else f" [{r.relative_lift_ci_lower:+.1%}, {r.relative_lift_ci_upper:+.1%}]"
        )
        section.rows.append(
            [
                str(r.experiment_id),
                str(r.variant_id),
                str(r.conversion_event),
                f"{r.exposed_users:,} ({r.observed_share:.1%} / {r.designed_share:.0%})",
                _pct(r.conversion_rate, 2),
                "-" if pd.isna(r.relative_lift) else f"{r.relative_lift:+.1%}{interval}",
                "-" if pd.isna(r.p_value) else f"{r.p_value:.2g}",
                str(r.verdict),
            ]
        )
    sources = sorted(set(rows["allocation_source"]))
    section.notes.append(
        f"Method: {rows['method'].iloc[0]}. Designed allocation: {', '.join(sources)}."
    )
    return section


ALERTS = "activation.alerts"
ALERT_COLUMNS = (
    "severity",
    "entity",
    "metric",
    "expected",
    "actual",
    "suggested_action",
    "status",
    "detected_at",
    "created_at",
)
SEVERITY_ORDER = {"critical": 0, "high": 1, "warning": 2, "medium": 2, "low": 3, "info": 4}


def alerts(ctx: Context) -> Section:
    """Open alerts, most severe first."""
    key, title = "alerts", "Open alerts"
    if ctx.absent(ALERTS):
        return Section(key, title, missing="no alerts table yet (activation.alerts)")
    frame = ctx.df("select * from {a}", a=ALERTS)
    if "status" in frame.columns:
        frame = frame[frame["status"].astype(str).str.lower().isin(["open", "new", "active"])]
    if frame.empty:
        return Section(key, title, missing="no open alerts")
    if "severity" in frame.columns:
        frame = frame.assign(
            _rank=frame["severity"].astype(str).str.lower().map(SEVERITY_ORDER).fillna(9)
        ).sort_values("_rank")
    shown = [c for c in ALERT_COLUMNS if c in frame.columns] or list(frame.columns)[:8]
    section = Section(key, title, columns=[c.replace("_", " ") for c in shown])
    section.rows = [
        ["-" if pd.isna(v) else (f"{v:,.2f}" if isinstance(v, float) else str(v)) for v in row]
        for row in frame[shown].head(50).itertuples(index=False)
    ]
    section.notes.append(f"{len(frame):,} open alert(s).")
    return section


BUILDERS: tuple[Callable[[Context], Section], ...] = (
    spend_roas,
    attribution,
    funnel,
    mrr,
    forecast,
    at_risk,
    hot_leads,
    experiments,
    alerts,
)
