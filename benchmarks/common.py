"""What the benchmark scripts share: argument parsing of counts, wall-clock timing, the printed table,
the machine's description, its float64 matrix-multiply rate and the process's peak resident memory."""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time

import numpy as np


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def print_table(header: tuple[str, ...], rows: list[tuple]) -> None:
    """Left-aligned columns, a dashed rule under the header."""
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % width for width in widths)
    print(line.format(*header).rstrip())
    print("  ".join("-" * width for width in widths))
    for row in rows:
        print(line.format(*row).rstrip())


def timed(function, repeats: int) -> tuple[float, float, object]:
    """(minimum, median) wall time over `repeats` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def matmul_rate(rows: int, inner: int, cols: int, repeats: int, seed: int = 0) -> tuple[float, float]:
    """(minimum seconds, GFLOP/s) of a float64 (rows × inner) @ (inner × cols) product: 2·rows·inner·cols FLOPs."""
    rng = np.random.default_rng(seed)
    A, B = rng.standard_normal((rows, inner)), rng.standard_normal((inner, cols))
    out = np.empty((rows, cols))
    seconds, _, _ = timed(lambda: np.matmul(A, B, out=out), repeats)
    return seconds, 2.0 * rows * inner * cols / seconds / 1e9


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def _memory_gib() -> float:
    try:
        with open("/proc/meminfo") as info:
            return next(int(line.split()[1]) for line in info if line.startswith("MemTotal")) / 2**20
    except (OSError, StopIteration):
        return float("nan")


def _blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)"
    pools = [f"{pool.get('internal_api')} {pool.get('version')} ({pool.get('num_threads')} threads"
             f"{', ' + pool['architecture'] if pool.get('architecture') else ''})"
             for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return "; ".join(pools) or "none found"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages (other processes on the cores slow every timing)."""
    if not hasattr(os, "getloadavg"):
        return "unavailable"
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def print_machine() -> None:
    """Header lines: CPU, cores, memory, Python, NumPy, BLAS and the load average now."""
    print(f"machine: {_cpu_model()}, {os.cpu_count()} cores, {_memory_gib():.1f} GiB RAM, {platform.system()}")
    print(f"software: Python {platform.python_version()}, NumPy {np.__version__}, BLAS {_blas()}")
    print(f"load average (1, 5, 15 min): {load_average()}")
