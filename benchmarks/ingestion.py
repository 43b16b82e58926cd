"""Ingestion throughput: rows/s and peak RSS per connector, full-year syncs at two scales.

Each connector's script (benchmarks/ingestion_sources/<source>.py) starts its emulator on a
generated world and syncs the whole year into a temporary DuckDB, quality gate on, one process
per scale so peak RSS belongs to that scale alone.

    python benchmarks/ingestion.py                       # every connector, tiny and small
    python benchmarks/ingestion.py --scales small medium
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

SOURCES = ("ga4", "facebook_ads", "google_ads", "salesforce")
SCRIPTS = Path(__file__).parent / "ingestion_sources"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["tiny", "small"])
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES)
    args = parser.parse_args()
    failed = 0
    for source in args.sources:
        command = [sys.executable, str(SCRIPTS / f"{source}.py")]
        # the Meta script takes scales as plain arguments, the others as --scales
        command += args.scales if source == "facebook_ads" else ["--scales", *args.scales]
        failed += subprocess.run(command, check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
