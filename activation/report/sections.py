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
    definitions: list[tuple[str, str]] = field(default_factory=list)  # figure, its formula

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


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}


def money(value: Any, currency: str) -> str:
    """A rounded amount with its currency: $1,216, €980, CHF 1,200."""
    if value is None or pd.isna(value):
        return "-"
    symbol = CURRENCY_SYMBOLS.get(currency)
    amount = f"{abs(float(value)):,.0f}"
    sign = "-" if float(value) < 0 and amount != "0" else ""
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{currency} {amount}"


def in_currency(ctx: Context) -> Callable[[Any], str]:
    """`money` in the settings' currency."""
    return lambda value: money(value, ctx.settings.currency)


def count(value: Any) -> str:
    """A count as people count: a whole number (credited leads are fractions per channel)."""
    return "-" if value is None or pd.isna(value) else f"{round(float(value)):,}"


def ratio(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else f"{float(value):.2f}"


def _pct(value: Any, digits: int = 1) -> str:
    return "-" if value is None or pd.isna(value) else f"{float(value):.{digits}%}"


def _change(now: float, before: float) -> str:
    if not before:
        return ""
    return f"{now / before - 1:+.0%} vs previous week"


ROI, CAMPAIGNS = "marts.fct_channel_roi_daily", "marts.dim_ad_campaigns"
UNATTRIBUTED = "Unattributed"  # the channel fct_conversion_paths gives a conversion with no touch


def data_end(ctx: Context) -> date | None:
    """The last day of ad and attribution data: weeks past it are partial."""
    if ctx.absent(ROI):
        return None
    day = ctx.warehouse.query(f"select max(date_day) as d from {ctx.name(ROI)}").column("d")[0]
    return day.as_py()


def partial_days(ctx: Context, monday: date) -> int | None:
    """Days of data in the week from `monday` when the data ends inside it; None when whole."""
    end = data_end(ctx)
    if end is None or end >= monday + timedelta(days=6):
        return None
    return max((end - monday).days + 1, 0)


def paid_channels(ctx: Context, daily: pd.DataFrame) -> set[str]:
    """Channels the ad platforms buy (their campaigns' channel), and any channel with spend."""
    paid = set(daily.loc[daily["spend"] > 0, "channel"])
    if not ctx.absent(CAMPAIGNS):
        paid |= set(ctx.df("select distinct channel from {c}", c=CAMPAIGNS)["channel"])
    return paid


def _roi_days(ctx: Context, model: str, first: date) -> pd.DataFrame:
    daily = ctx.df(
        f"select date_day, channel, {ctx.double('spend')} as spend,"
        f" {ctx.double('attributed_revenue')} as attributed_revenue,"
        f" {ctx.double('leads')} as leads from {{roi}} where attribution_model = "
        + string_literal(model)
        + f" and date_day between {date_literal(first)} and {date_literal(ctx.week_end)}",
        roi=ROI,
    )
    daily["date_day"] = pd.to_datetime(daily["date_day"])
    daily["week"] = daily["date_day"].dt.to_period("W-SUN").dt.start_time
    return daily


def _by_channel(daily: pd.DataFrame, ctx: Context) -> pd.DataFrame:
    this_week = daily[daily["week"] == pd.Timestamp(ctx.week_start)]
    last4 = daily[daily["week"] >= pd.Timestamp(ctx.week_start - timedelta(weeks=3))]
    by_channel = (
        this_week.groupby("channel")[["spend", "attributed_revenue", "leads"]]
        .sum()
        .join(
            last4.groupby("channel")[["spend", "attributed_revenue"]].sum(),
            rsuffix="_4w",
            how="outer",
        )
        .reindex(sorted({*daily["channel"], UNATTRIBUTED}))  # unattributed is always a line
        .fillna(0.0)
        .rename_axis("channel")
        .reset_index()
    )
    by_channel["roas_week"] = by_channel["attributed_revenue"] / by_channel["spend"].where(
        by_channel["spend"] > 0
    )
    by_channel["roas_4w"] = by_channel["attributed_revenue_4w"] / by_channel["spend_4w"].where(
        by_channel["spend_4w"] > 0
    )
    # unattributed last: it is what no channel earned
    last = by_channel["channel"] == UNATTRIBUTED
    return pd.concat(
        [by_channel[~last].sort_values("attributed_revenue_4w", ascending=False), by_channel[last]]
    )


def _week_totals(week: pd.DataFrame, paid: set[str]) -> dict[str, float]:
    is_paid = week["channel"].isin(paid)
    return {
        "spend": float(week.loc[is_paid, "spend"].sum()),
        "paid_revenue": float(week.loc[is_paid, "attributed_revenue"].sum()),
        "revenue": float(week["attributed_revenue"].sum()),
        "unattributed": float(
            week.loc[week["channel"] == UNATTRIBUTED, "attributed_revenue"].sum()
        ),
        "leads": float(week["leads"].sum()),
    }


SPEND_DEFINITIONS = (
    ("Paid spend", "ad spend reported by the ad platforms (Google Ads, Meta) in the week"),
    ("Paid ROAS", "attributed revenue of the paid channels / paid spend"),
    (
        "Blended (all revenue / paid spend)",
        "attributed revenue of every channel, organic, "
        "direct and unattributed included / paid spend",
    ),
    ("Unattributed revenue", "revenue of conversions with no tracked touch (no channel earns it)"),
    ("Leads", "lead conversions in the week, credited to channels by the attribution model"),
    ("ROAS (channel)", "the channel's attributed revenue / its spend"),
)


def spend_roas(ctx: Context) -> Section:
    """Spend, attributed revenue and ROAS by channel: the week, 4 weeks and a 12-week trend."""
    key, title = "spend", "Spend and ROAS by channel"
    if ctx.absent(ROI):
        return _missing(key, title, [ROI], "build the marts: mdp transform")
    model = ctx.settings.report.attribution_model
    daily = _roi_days(ctx, model, ctx.week_start - timedelta(weeks=11))
    if daily.empty:
        return Section(
            key, title, missing=f"no {model} rows in {ROI} for the 12 weeks to {ctx.week_end}"
        )
    cur = ctx.settings.currency
    paid = paid_channels(ctx, daily)
    colours = charts.colour_map(daily["channel"].unique())
    now = _week_totals(daily[daily["week"] == pd.Timestamp(ctx.week_start)], paid)
    before = _week_totals(
        daily[daily["week"] == pd.Timestamp(ctx.week_start - timedelta(weeks=1))], paid
    )
    by_channel = _by_channel(daily, ctx)
    section = Section(key, title, definitions=list(SPEND_DEFINITIONS))
    partial = partial_days(ctx, ctx.week_start)
    if partial is not None:  # a comparison with a whole week would read as a fall
        before = dict.fromkeys(before, 0.0)
    share = f"{now['unattributed'] / now['revenue']:.0%} of revenue" if now["revenue"] else ""
    section.kpis = [
        ("Paid spend", money(now["spend"], cur), _change(now["spend"], before["spend"])),
        ("Paid ROAS", ratio(now["paid_revenue"] / now["spend"] if now["spend"] else None), ""),
        (
            "Blended (all revenue / paid spend)",
            ratio(now["revenue"] / now["spend"] if now["spend"] else None),
            "",
        ),
        ("Unattributed revenue", money(now["unattributed"], cur), share),
        ("Leads", count(now["leads"]), _change(now["leads"], before["leads"])),
    ]
    weekly = daily.groupby(["week", "channel"], as_index=False)["spend"].sum()
    section.charts.append(
        charts.spend_and_roas(
            weekly,
            by_channel[by_channel["channel"].isin(paid)],
            colours,
            pd.Timestamp(ctx.week_start) if partial is not None else None,
        )
    )
    section.columns = [
        "channel",
        "paid",
        f"spend (week, {cur})",
        f"attributed revenue (week, {cur})",
        "ROAS (week)",
        f"spend (4 weeks, {cur})",
        "ROAS (4 weeks)",
        "leads (week)",
    ]
    section.rows = [
        [
            r.channel,
            "paid" if r.channel in paid else "",
            money(r.spend, cur),
            money(r.attributed_revenue, cur),
            ratio(r.roas_week),
            money(r.spend_4w, cur),
            ratio(r.roas_4w),
            count(r.leads),
        ]
        for r in by_channel.itertuples()
    ]
    section.notes.append(
        f"Revenue attributed with the {model} model; paid channels: "
        f"{', '.join(sorted(paid)) or 'none'}. The red line marks ROAS 1."
    )
    if partial is not None:
        section.notes.insert(
            0, f"Partial week: the data ends {data_end(ctx)}, {partial} of its 7 days."
        )
    return section


PLATFORM_NAMES = {"google_ads": "Google Ads", "facebook_ads": "Meta Ads"}
CHANGE_METRICS = (
    ("spend", "spend"),
    ("attributed_revenue", "attributed revenue"),
    ("leads", "leads"),
)


def _like_for_like(ctx: Context, daily: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The report week's days and the same weekdays of the week before (a partial last week is
    compared with as many days, so it never reads as a fall)."""
    days = partial_days(ctx, ctx.week_start) or 7
    start = pd.Timestamp(ctx.week_start)
    before_start = start - pd.Timedelta(weeks=1)
    now = daily[
        (daily["date_day"] >= start) & (daily["date_day"] < start + pd.Timedelta(days=days))
    ]
    before = daily[
        (daily["date_day"] >= before_start)
        & (daily["date_day"] < before_start + pd.Timedelta(days=days))
    ]
    return now, before, days


def _movement(now: float, before: float) -> str:
    change = now - before
    if not before:
        return f"{change:+,.0f} (new)" if change else "0"
    if before > 0 and now / before >= 10:  # +1,063 % reads worse than 11x
        return f"{change:+,.0f} ({now / before:.0f}x)"
    return f"{change:+,.0f} ({change / abs(before):+.0%})"


def what_changed(ctx: Context) -> Section:
    """The largest movements against the week before, first thing a reader sees: totals of
    spend, revenue, leads and paid ROAS, then the channels that moved most."""
    key, title = "changes", "What changed this week"
    if ctx.absent(ROI):
        return _missing(key, title, [ROI], "build the marts: mdp transform")
    model = ctx.settings.report.attribution_model
    daily = _roi_days(ctx, model, ctx.week_start - timedelta(weeks=1))
    if daily.empty:
        return Section(key, title, missing=f"no {model} rows in {ROI} for the two weeks")
    cur = ctx.settings.currency
    paid = paid_channels(ctx, daily)
    now, before, days = _like_for_like(ctx, daily)
    totals_now, totals_before = _week_totals(now, paid), _week_totals(before, paid)
    roas_now = totals_now["paid_revenue"] / totals_now["spend"] if totals_now["spend"] else None
    roas_before = (
        totals_before["paid_revenue"] / totals_before["spend"] if totals_before["spend"] else None
    )
    section = Section(key, title)
    section.kpis = [
        ("Paid spend", money(totals_now["spend"], cur),
         _change(totals_now["spend"], totals_before["spend"])),
        ("Attributed revenue", money(totals_now["revenue"], cur),
         _change(totals_now["revenue"], totals_before["revenue"])),
        ("Leads", count(totals_now["leads"]), _change(totals_now["leads"], totals_before["leads"])),
        ("Paid ROAS", ratio(roas_now), f"was {ratio(roas_before)}"),
    ]  # fmt: skip
    by_channel = (
        now.groupby("channel")[[m for m, _ in CHANGE_METRICS]].sum()
        .join(before.groupby("channel")[[m for m, _ in CHANGE_METRICS]].sum(),
              rsuffix="_before", how="outer")
        .fillna(0.0)
    )  # fmt: skip
    # the two channels that moved most on each figure, so a lead swing is not buried under
    # revenue swings in the thousands
    top = []
    for metric, label in CHANGE_METRICS:
        change = by_channel[metric] - by_channel[f"{metric}_before"]
        for channel in change.abs().sort_values(ascending=False).index[:2]:
            row = by_channel.loc[channel]
            if round(float(change[channel])) != 0:
                now_value, then = float(row[metric]), float(row[f"{metric}_before"])
                top.append((metric, str(channel), label, now_value, then))
    show = in_currency(ctx)
    section.columns = ["channel", "figure", "this week", "week before", "change"]
    section.rows = [
        [channel, label,
         count(value) if metric == "leads" else show(value),
         count(previous) if metric == "leads" else show(previous),
         _movement(value, previous)]
        for metric, channel, label, value, previous in top
    ]  # fmt: skip
    span = "the same" if days == 7 else f"the first {days} days of"
    section.notes.append(
        f"Against {span} the week before; revenue attributed with the {model} model (the "
        "Attribution section shows how the other models would credit it)."
    )
    provisional = provisional_from(ctx)
    recent = [p for p, first in provisional.items() if first <= ctx.week_end]
    if recent:
        section.notes.append(
            f"{', '.join(sorted(PLATFORM_NAMES.get(p, p) for p in recent))} figures of the week "
            "are still provisional: the platform "
            "may add conversions (restatement), so revenue and ROAS can still rise."
        )
    if not top:
        section.notes.append("No channel moved by a whole unit.")
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
MRR_DEFINITIONS = (
    ("MRR", "monthly recurring revenue of the active subscriptions on the month's first day"),
    ("Net new MRR", "new + expansion + reactivation - contraction - churned MRR of the month"),
    ("Churned accounts", "accounts whose MRR went to 0 in the month"),
    ("Logo churn", "churned accounts / accounts with MRR at the start of the month"),
)


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
    cash = in_currency(ctx)
    section = Section(key, title, definitions=list(MRR_DEFINITIONS))
    latest = months.iloc[-1]
    previous = months.iloc[-2] if len(months) > 1 else latest
    section.kpis = [
        (
            "MRR",
            cash(latest["mrr"]),
            _change(latest["mrr"], previous["mrr"]).replace("week", "month"),
        ),
        (
            "Net new MRR",
            cash(
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
                cash(v)
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
    section = Section(key, title)
    if not history.empty:
        last_week = pd.Timestamp(history["week"].max()).date()
        days = partial_days(ctx, last_week)
        if days is not None:
            history = history[pd.to_datetime(history["week"]) < pd.Timestamp(last_week)]
            section.notes.append(
                f"The week of {last_week:%d %b %Y} holds {days} of 7 days of data: it is left "
                "out of the actuals rather than plotted as a fall."
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
    section.charts.append(charts.forecast(panels))
    section.columns = ["metric", "week", "forecast", "80 % interval", "95 % interval", "model"]
    for metric, group in ahead.groupby("metric", sort=True):
        fmt = count if metric == "leads" else in_currency(ctx)
        for r in group.head(4).itertuples():
            section.rows.append(
                [
                    str(metric),
                    f"{r.date:%d %b %Y}",
                    fmt(r.yhat),
                    f"{fmt(r.yhat_lower_80)} – {fmt(r.yhat_upper_80)}",
                    f"{fmt(r.yhat_lower_95)} – {fmt(r.yhat_upper_95)}",
                    str(r.model),
                ]
            )
    section.notes.insert(
        0, f"Forecast as of {as_of:%d %b %Y}; the table lists the next four weeks."
    )
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
    labels = [
        f"{r.account_name or r.account_id} ({money(r.mrr, ctx.settings.currency)}/mo)"
        for r in top.itertuples()
    ]
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
            money(r.mrr, ctx.settings.currency),
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


ALERTS, AD_DAYS = "activation.alerts", "marts.fct_ad_performance_daily"
SEVERITY_ORDER = {"critical": 0, "high": 1, "warning": 2, "medium": 2, "low": 3, "info": 4}


def provisional_from(ctx: Context) -> dict[str, date]:
    """Per ad platform, the first day whose figures it may still restate (is_provisional)."""
    if ctx.absent(AD_DAYS):
        return {}
    rows = ctx.df(
        "select platform, min(date) as first_day from {a} where is_provisional group by 1",
        a=AD_DAYS,
    )
    return {str(r.platform): pd.Timestamp(r.first_day).date() for r in rows.itertuples()}


def _alert_row(r: Any, provisional: dict[str, date]) -> list[str]:
    since = provisional.get(str(r.platform))
    is_provisional = since is not None and pd.Timestamp(r.last_seen).date() >= since
    action = (
        f"Provisional: {r.platform} may still restate these figures (from {since}); "
        "re-check before acting on the budget."
        if is_provisional
        else str(r.suggested_action)
    )
    return [
        str(r.severity),
        str(r.entity_name),
        str(r.platform),
        f"{r.metric}: {r.actual} (expected {r.expected})",
        "provisional" if is_provisional else "final",
        action,
        f"{r.first_seen} – {r.last_seen}",
        str(r.status),
    ]


def alerts(ctx: Context) -> Section:
    """Alerts seen in the report week, most severe first; provisional figures never get a
    budget action."""
    key, title = "alerts", "Alerts of the week"
    if ctx.absent(ALERTS):
        return Section(key, title, missing="no alerts table yet (activation.alerts)")
    frame = ctx.df(
        "select * from {a} where first_seen <= "
        + date_literal(ctx.week_end)
        + " and coalesce(resolved_on, last_seen) >= "
        + date_literal(ctx.week_start)
        + " and (status = 'open' or resolved_on > "
        + date_literal(ctx.week_end)
        + ")",
        a=ALERTS,
    )
    if frame.empty:
        return Section(
            key, title, missing=f"no alert open between {ctx.week_start} and {ctx.week_end}"
        )
    frame = frame.assign(
        _rank=frame["severity"].astype(str).str.lower().map(SEVERITY_ORDER).fillna(9)
    ).sort_values(["_rank", "entity_name"])
    provisional = provisional_from(ctx)
    section = Section(key, title)
    section.columns = [
        "severity",
        "campaign / record",
        "platform",
        "figure",
        "data",
        "suggested action",
        "seen",
        "status",
    ]
    section.rows = [_alert_row(r, provisional) for r in frame.head(50).itertuples()]
    section.notes.append(
        f"{len(frame):,} alert(s) open during the week. Figures inside a platform's restatement "
        "window (Google Ads ~30 days, Meta 28) are provisional: the platform may still add "
        "conversions, so they carry no budget suggestion."
    )
    return section


BUILDERS: tuple[Callable[[Context], Section], ...] = (
    what_changed,
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
