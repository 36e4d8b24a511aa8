"""Simulation results cached as .npz with a JSON sidecar, keyed by a hash of the settings.

The key hashes the simulation's name, its settings (seed included) and the source of the
module that computes it, so editing a simulation recomputes it while editing a figure
does not. Both files are written atomically (temporary file + rename, sidecar last);
the sidecar records the SHA-256 of the .npz. An entry without a sidecar (an unfinished
write) is recomputed silently; one whose .npz is unreadable or fails its checksum is
recomputed with a warning.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import platform
import subprocess
import tempfile
import warnings
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import numpy as np

from sparsetheory import __version__
from sparsetheory.paths import CHECKOUT

Arrays = dict[str, np.ndarray]


def source_hash(function: Callable) -> str:
    module = inspect.getmodule(function)
    source = inspect.getsource(module) if module is not None else function.__qualname__
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def code_version() -> str:
    try:
        commit = subprocess.run(["git", "-C", str(CHECKOUT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return f"{__version__}+{commit}"


def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("numpy", "scipy", "sympy", "matplotlib", "cvxpy", "torch"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def atomic_write(path: Path, write: Callable[[Any], None], mode: str) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, mode) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ResultCache:
    """A directory of finished simulation results."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    def key(self, name: str, settings: dict[str, Any], function: Callable) -> str:
        payload = json.dumps({"name": name, "settings": settings, "source": source_hash(function)},
                             sort_keys=True, default=str)
        return f"{name}-{hashlib.sha256(payload.encode()).hexdigest()[:20]}"

    def paths(self, key: str) -> tuple[Path, Path]:
        return self.directory / f"{key}.npz", self.directory / f"{key}.json"

    def load(self, key: str) -> Arrays | None:
        """The cached arrays, or None when the entry is missing, partial or corrupted (with a warning)."""
        data_path, meta_path = self.paths(key)
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            return None
        try:
            if meta.get("sha256") != file_sha256(data_path):
                raise ValueError("checksum mismatch")
            with np.load(data_path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
            if meta.get("key") != key or sorted(arrays) != sorted(meta.get("arrays", [])):
                raise ValueError("sidecar does not describe the arrays")
        except (OSError, ValueError, KeyError, EOFError, AttributeError, zipfile.BadZipFile) as exc:
            warnings.warn(f"corrupted cache entry {data_path.name} ({exc}); recomputing", stacklevel=2)
            return None
        return arrays

    def store(self, key: str, arrays: Arrays, settings: dict[str, Any]) -> None:
        """Write arrays (.npz) then the sidecar (.json), each atomically; the sidecar marks completion."""
        if not isinstance(arrays, dict):
            raise TypeError(f"a simulation must return a dict of arrays, got {type(arrays).__name__}")
        self.directory.mkdir(parents=True, exist_ok=True)
        data_path, meta_path = self.paths(key)
        arrays = {name: np.asarray(value) for name, value in arrays.items()}
        atomic_write(data_path, lambda handle: np.savez(handle, **arrays), "wb")
        meta = {"key": key, "settings": settings, "arrays": sorted(arrays), "sha256": file_sha256(data_path),
                "seed": settings.get("seed"),
                "versions": _package_versions(), "code_version": code_version()}
        atomic_write(meta_path, lambda handle: handle.write(json.dumps(meta, indent=2, default=str)), "w")
