"""The data docs site under <MDP_HOME>/gx/data_docs: every table's latest validations, offline.

Each ingestion process validates with its own in-memory GE context, and GE's site builder
deletes every page its own stores do not know (and rewrites the index from them), so the last
process to publish used to erase the other sources' results. Here a process renders its pages
into a staging directory, then, under a file lock, replaces only its own tables' pages in the
shared site, records them in `validations.json` and writes `index.html` from that record.

GE's pages load Bootstrap, jQuery and friends from CDNs, which the package does not ship: the
published pages have those links removed (GE's own stylesheet, fonts and images are local, and
every page's content is plain HTML), and the index is a static page that needs no script.
"""

from __future__ import annotations

import fcntl
import html
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mdp.pipeline import SOURCES

MANIFEST = "validations.json"
_GE_ASSETS = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
#: Stylesheets and scripts a page would fetch from the internet (none is shipped with GE).
_REMOTE_TAG = re.compile(
    r"<link\b[^>]*\bhref=\"https?://[^\"]*\"[^>]*>"
    r"|<script\b[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>",
    re.IGNORECASE,
)
_REMOTE_IMAGE = re.compile(re.escape(_GE_ASSETS) + r"([\w.-]+)(\?[^\"')]*)?")


@dataclass(frozen=True)
class Validation:
    """One batch's validation as the index lists it."""

    table: str
    page: str  # relative to the site's root
    run_time: str  # ISO, UTC
    success: bool
    evaluated: int
    failed: int


def source_of(table: str) -> str:
    """The connector a raw table belongs to (`raw.google_ads_ads` → google_ads)."""
    name = table.split(".", 1)[-1]
    matches = [s for s in SOURCES if name.startswith(f"{s}_")]
    return max(matches, key=len) if matches else "other"


def validations_of(store: Any, keys: Iterable[Any]) -> list[Validation]:
    """The results stored under `keys` in a GE validation results store, the last one of each
    batch (a batch that breaks a record rule is validated twice, the second time naming its
    rows)."""
    latest: dict[str, tuple[str, Any, Any]] = {}
    for key in keys:
        parts = key.to_tuple()  # suite name split at dots, run name, run time, batch id
        suite = ".".join(parts[:-3])
        run_time = parts[-2]
        if suite not in latest or latest[suite][0] < run_time:
            latest[suite] = (run_time, key, parts)
    found = []
    for run_time, key, parts in latest.values():
        result = store.get(key)
        stats = result.statistics
        suite = ".".join(parts[:-3])
        found.append(
            Validation(
                table=suite.rsplit("-", 1)[0],
                page="validations/" + "/".join(parts) + ".html",
                run_time=str(result.meta.get("run_id", {}).get("run_time") or run_time),
                success=bool(result.success),
                evaluated=int(stats.get("evaluated_expectations") or 0),
                failed=int(stats.get("unsuccessful_expectations") or 0),
            )
        )
    return sorted(found, key=lambda v: (v.table, v.run_time))


def publish(docs_dir: Path, validations: list[Validation], render: Callable[[Path], None]) -> Path:
    """Render this process's pages with `render(staging_dir)` and merge them into the site:
    each validated table's previous pages are replaced, every other table's are kept."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=docs_dir.parent))
    try:
        render(staging)
        with _locked(docs_dir):
            _replace_pages(docs_dir, staging, validations)
            manifest = _read_manifest(docs_dir)
            for table in {v.table for v in validations}:
                manifest[table] = [asdict(v) for v in validations if v.table == table]
            (docs_dir / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
            index = docs_dir / "index.html"
            index.write_text(index_html(_entries(manifest)))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return index


@contextmanager
def _locked(docs_dir: Path) -> Iterator[None]:
    """One publisher at a time (the ingestion DAGs run side by side)."""
    with open(docs_dir / ".publish.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _replace_pages(docs_dir: Path, staging: Path, validations: list[Validation]) -> None:
    if not (docs_dir / "static").exists() and (staging / "static").exists():
        shutil.copytree(staging / "static", docs_dir / "static")
    for table in {v.table for v in validations}:
        schema, name = table.split(".", 1)
        for old in (docs_dir / "validations" / schema).glob(f"{name}-*"):
            if old.name.rsplit("-", 1)[-1].isdigit():
                shutil.rmtree(old, ignore_errors=True)
    for validation in validations:
        page = staging / validation.page
        if not page.exists():
            continue
        target = docs_dir / validation.page
        target.parent.mkdir(parents=True, exist_ok=True)
        depth = validation.page.count("/")
        target.write_text(offline_page(page.read_text(), "../" * depth))


def offline_page(text: str, root: str) -> str:
    """A GE page that fetches nothing: remote stylesheets and scripts removed, GE's web images
    pointed at the copies under `root`static/images/."""
    text = _REMOTE_TAG.sub("", text)
    return _REMOTE_IMAGE.sub(lambda m: f"{root}static/images/{m.group(1)}", text)


def _read_manifest(docs_dir: Path) -> dict[str, list[dict[str, Any]]]:
    path = docs_dir / MANIFEST
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _entries(manifest: dict[str, list[dict[str, Any]]]) -> list[Validation]:
    entries = []
    for rows in manifest.values():
        for row in rows:
            try:
                entries.append(Validation(**row))
            except TypeError:  # a record written by another version: skip it
                continue
    return entries


def index_html(validations: Iterable[Validation]) -> str:
    """A static page: per source, each table's latest validations with a link to each page."""
    by_source: dict[str, dict[str, list[Validation]]] = {}
    for v in validations:
        by_source.setdefault(source_of(v.table), {}).setdefault(v.table, []).append(v)
    sections = []
    for source in sorted(by_source, key=lambda s: (s not in SOURCES, s)):
        rows = [_table_row(t, vs) for t, vs in sorted(by_source[source].items())]
        sections.append(
            f'<section id="{html.escape(source)}"><h2>{html.escape(source)}</h2>\n'
            "<table><thead><tr><th>raw table</th><th>validated (UTC)</th><th>batches</th>"
            "<th>result</th><th>each batch</th></tr></thead>\n<tbody>\n"
            + "\n".join(rows)
            + "\n</tbody></table></section>"
        )
    body = "\n".join(sections) or "<p>No validation has been published yet.</p>"
    return _PAGE.format(body=body)


def _table_row(table: str, validations: list[Validation]) -> str:
    validations = sorted(validations, key=lambda v: v.run_time)
    failed = [v for v in validations if not v.success]
    result = (
        f'<span class="fail">{len(failed)} of {len(validations)} failed</span>'
        if failed
        else '<span class="pass">all passed</span>'
    )
    links = " ".join(
        f'<a class="{"pass" if v.success else "fail"}" href="{html.escape(v.page)}" '
        f'title="{v.evaluated - v.failed} of {v.evaluated} expectations met">'
        f"{html.escape(v.run_time[:19].replace('T', ' '))}</a>"
        for v in validations
    )
    last = validations[-1].run_time[:19].replace("T", " ")
    return (
        f'<tr id="{html.escape(table)}"><td>{html.escape(table)}</td><td>{html.escape(last)}</td>'
        f"<td>{len(validations)}</td><td>{result}</td><td>{links}</td></tr>"
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>mdp data quality: latest validations</title>
<link rel="stylesheet" href="static/styles/data_docs_default_styles.css">
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; }}
table {{ border-collapse: collapse; margin-bottom: 2rem; }}
th, td {{ border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
.pass {{ color: #1a7f37; }} .fail {{ color: #c62828; font-weight: bold; }}
td a {{ margin-right: .5rem; white-space: nowrap; }}
</style>
</head>
<body>
<h1>Data quality: latest validations</h1>
<p>Each raw table's batches from its latest ingestion run, validated against
<code>expectations/suites/&lt;table&gt;.json</code> plus the window's dates and the API's totals.
A link opens that batch's Great Expectations report.</p>
{body}
</body>
</html>
"""
