"""The data docs list every source's latest validations and render with no network at all."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from ingestion.common.data_docs import MANIFEST, offline_page
from ingestion.common.quality import QualityGate, window_rules

DAY = date(2025, 1, 1)
#: One table per source, each validated by its own gate, as each ingestion process does.
BATCHES = {
    "raw.ga4_events": pa.table({"event_date": [DAY], "event_name": ["page_view"]}),
    "raw.facebook_ads_insights": pa.table({"date_start": [DAY], "spend": [-1.0]}),
    "raw.google_ads_ad_metrics_daily": pa.table({"date": [DAY], "clicks": [3]}),
    "raw.salesforce_lead": pa.table({"Id": ["00Q1"], "Email": ["a@b.c"]}),
}
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = tmp_path_factory.mktemp("gx") / "data_docs"
    for table, batch in BATCHES.items():
        gate = QualityGate(docs_dir=docs)
        column = batch.column_names[0]
        gate.validate(table, batch, window_rules(column, DAY, DAY) if "date" in column else ())
        gate.validate(table, batch)
        assert gate.publish_docs() == docs / "index.html"
    return docs


def test_every_source_keeps_its_latest_validations(site: Path) -> None:
    manifest = json.loads((site / MANIFEST).read_text())
    assert sorted(manifest) == sorted(BATCHES)
    for table, validations in manifest.items():
        assert len(validations) == 2, table  # its two batches, each once
        for validation in validations:
            assert (site / validation["page"]).exists(), validation
    index = (site / "index.html").read_text()
    for table in BATCHES:
        assert f'id="{table}"' in index


def test_a_rerun_replaces_only_its_own_tables_pages(site: Path) -> None:
    before = {p for p in (site / "validations").rglob("*.html")}
    gate = QualityGate(docs_dir=site)
    gate.validate("raw.salesforce_lead", BATCHES["raw.salesforce_lead"])
    gate.publish_docs()
    after = {p for p in (site / "validations").rglob("*.html")}
    salesforce = {p for p in before if "salesforce_lead" in str(p)}
    assert before - after == salesforce  # the lead table's older pages are gone ...
    assert len(after - before) == 1  # ... for its one new batch; the other sources' stay
    manifest = json.loads((site / MANIFEST).read_text())
    assert len(manifest["raw.salesforce_lead"]) == 1
    assert len(manifest["raw.ga4_events"]) == 2


def test_pages_fetch_nothing_from_the_internet(site: Path) -> None:
    for page in [site / "index.html", *(site / "validations").rglob("*.html")]:
        text = page.read_text()
        assert '<script src="http' not in text, page
        assert 'href="http' not in text.replace('href="https://greatexpectations.io', ""), page
        assert "amazonaws.com" not in text, page


def test_offline_page_points_images_at_local_copies() -> None:
    page = (
        '<link rel="stylesheet" href="https://unpkg.com/x.css"/>'
        '<script src="https://code.jquery.com/jquery.js"></script>'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png'
        '?d=1">'
    )
    assert offline_page(page, "../../") == '<img src="../../static/images/logo-long.png">'


def _dom(url: str) -> str:
    """The page as headless Chromium renders it in a network namespace of its own (no network
    at all: not even loopback is up)."""
    command = [
        "unshare", "-rn", str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--dump-dom", url,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return result.stdout


@pytest.mark.skipif(
    not CHROMIUM.exists() or shutil.which("unshare") is None, reason="needs chromium and unshare"
)
def test_index_renders_offline_with_every_source(site: Path) -> None:
    dom = _dom((site / "index.html").as_uri())
    for source in ("ga4", "facebook_ads", "google_ads", "salesforce"):
        assert f'<section id="{source}">' in dom
    for table in BATCHES:
        assert f"<td>{table}</td>" in dom
    manifest = json.loads((site / MANIFEST).read_text())
    page = manifest["raw.facebook_ads_insights"][0]["page"]
    report = _dom((site / page).as_uri())
    assert "Expectation Validation Result" in report  # GE's report, readable without scripts
    assert "raw.facebook_ads_insights" in report and "Unsuccessful Expectations" in report
