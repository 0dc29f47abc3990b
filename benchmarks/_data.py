"""Where benchmarks find the real data: ``$HARBORWATCH_DATA``, else ``<repo>/../shared/data``."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
WORK_DIR = REPO_ROOT / "benchmarks" / ".work"


def data_dir() -> Path:
    path = Path(os.environ.get("HARBORWATCH_DATA", REPO_ROOT.parent / "shared" / "data"))
    if not (path / "ais").is_dir():
        sys.exit(f"real data not found at {path}; set HARBORWATCH_DATA to the shared data folder")
    return path


def machine() -> str:
    """One line naming the machine the figures came from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}"
