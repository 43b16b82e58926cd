"""Send a long step's output (Airflow, dbt, subprocesses) to a log file, keep the terminal tidy."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


def _flush() -> None:
    sys.stdout.flush()
    sys.stderr.flush()


@contextmanager
def output_to_file(path: Path, echo: bool = False) -> Iterator[TextIO]:
    """Redirect this process's stdout and stderr file descriptors (so C libraries and child
    processes follow) to `path`; yield a stream that still reaches the terminal. With `echo`
    the output reaches the terminal too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    terminal = os.fdopen(os.dup(1), "w", buffering=1)
    try:
        if echo:
            with tee_output(path):
                yield terminal
        else:
            _flush()
            saved_out, saved_err = os.dup(1), os.dup(2)
            with path.open("ab") as log:
                os.dup2(log.fileno(), 1)
                os.dup2(log.fileno(), 2)
                try:
                    yield terminal
                finally:
                    _flush()
                    os.dup2(saved_out, 1)
                    os.dup2(saved_err, 2)
                    os.close(saved_out)
                    os.close(saved_err)
    finally:
        terminal.close()


def _copy(source: int, targets: tuple[int, ...]) -> None:
    while chunk := os.read(source, 65536):
        for target in targets:
            view = memoryview(chunk)
            while view:
                view = view[os.write(target, view) :]


@contextmanager
def tee_output(path: Path) -> Iterator[None]:
    """Copy everything written to stdout and stderr (by Python, C libraries and child
    processes) into `path` as well as to where stdout went before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    read_end, write_end = os.pipe()
    with path.open("ab") as log:
        copier = threading.Thread(
            target=_copy, args=(read_end, (log.fileno(), saved_out)), daemon=True
        )
        copier.start()
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        os.close(write_end)
        try:
            yield
        finally:
            _flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            # The pipe's last writer is gone: the copier reads to the end and stops (a child
            # process still holding it would keep it open, so do not wait for ever).
            copier.join(timeout=30)
            os.close(read_end)
            os.close(saved_out)
            os.close(saved_err)
