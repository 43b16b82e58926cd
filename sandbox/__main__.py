"""`python -m sandbox serve …`: generate (or reuse) the world and serve it until stopped."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from sandbox.runner import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("serve", help="serve the world until SIGTERM")
    up.add_argument("--home", type=Path, required=True, help="folder for worlds and logs")
    up.add_argument("--state-file", type=Path, required=True)
    up.add_argument("--scale", default="small")
    up.add_argument("--seed", type=int, default=42)
    up.add_argument("--faults", type=float, default=0.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    serve(args.home, args.state_file, args.scale, args.seed, args.faults)


if __name__ == "__main__":
    main()
