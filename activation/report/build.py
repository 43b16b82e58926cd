"""Gather the sections, render the HTML (inline SVG, inline CSS) and the PDF with weasyprint."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import jinja2

from activation.report.sections import BUILDERS, ROI, Context, Section
from mdp.errors import ConfigError
from mdp.settings import Settings
from mdp.warehouse import Warehouse, get_warehouse
from mdp.warehouse.sql import date_literal

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class BuiltReport:
    """Where the report was written and what each section holds."""

    week_start: date
    html: Path
    pdf: Path
    sections: dict[str, str]  # title -> 'ok' or why it is empty


def report_week(warehouse: Warehouse, week: date | None) -> date:
    """Monday of the week holding `week`; by default the last complete week (Monday to Sunday)
    of the ad data, or before today when there is none. A chosen week without any ad or
    attribution data is a ConfigError: an empty report would read as a week of zeros."""
    if week is not None:
        monday = week - timedelta(days=week.weekday())
        _check_week_has_data(warehouse, monday)
        return monday
    latest = None
    if warehouse.table_exists(ROI):
        name = warehouse.qualified_name(ROI)
        latest = warehouse.query(f"select max(date_day) as d from {name}").column("d")[0].as_py()
    day = latest or datetime.now(UTC).date() - timedelta(days=1)
    monday = day - timedelta(days=day.weekday())
    return monday if day.weekday() == 6 else monday - timedelta(weeks=1)


def _check_week_has_data(warehouse: Warehouse, monday: date) -> None:
    if not warehouse.table_exists(ROI):
        return  # the sections say which table to build
    name = warehouse.qualified_name(ROI)
    span = warehouse.query(
        f"select min(date_day) as first_day, max(date_day) as last_day, count(case when date_day"
        f" between {date_literal(monday)} and {date_literal(monday + timedelta(days=6))}"
        f" then 1 end) as in_week from {name}"
    ).to_pylist()[0]
    if not span["in_week"]:
        raise ConfigError(
            f"no data for the week of {monday} in {ROI} (it holds {span['first_day']} to "
            f"{span['last_day']}): pick a week in that range with --week, or load it with mdp run"
        )


def render_html(sections: list[Section], week_start: date, warehouse_label: str) -> str:
    """The report as one HTML document: no external URL, charts as inline SVG."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("weekly.html.j2").render(
        title=f"Marketing weekly report · week of {week_start:%d %b %Y}",
        week_start=week_start,
        week_end=week_start + timedelta(days=6),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        sections=sections,
        warehouse=warehouse_label,
    )


def render_pdf(html: str, path: Path) -> None:
    """PDF from the same HTML (weasyprint runs no JavaScript: the charts are static SVG)."""
    from weasyprint import HTML

    # weasyprint warns once per SVG style it does not apply (fill, stroke …): over a thousand
    # lines per report, which would bury what the command says on a terminal
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    # no base_url: the document references nothing outside itself
    HTML(string=html).write_pdf(path)


def build_report(settings: Settings, week: date | None = None, pdf: bool = True) -> BuiltReport:
    """Build the week's report into <home>/reports/weekly-<monday>.html and (unless `pdf` is
    False) .pdf; weasyprint takes seconds per chart-heavy page."""
    with get_warehouse(settings) as warehouse:
        week_start = report_week(warehouse, week)
        ctx = Context(warehouse, settings, week_start)
        sections = [builder(ctx) for builder in BUILDERS]
    label = settings.warehouse.value
    html = render_html(sections, week_start, label)
    folder = settings.home / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    html_path = folder / f"weekly-{week_start}.html"
    html_path.write_text(html, encoding="utf-8")
    pdf_path = html_path.with_suffix(".pdf")
    if pdf:
        render_pdf(html, pdf_path)
    log.info("weekly report for %s: %s", week_start, html_path)
    return BuiltReport(week_start, html_path, pdf_path, {s.title: s.state for s in sections})
