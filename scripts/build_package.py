#!/usr/bin/env python3
"""Build the job's pure-Python wheel (the Glue job's --extra-py-files) into dist/.

    python scripts/build_package.py            # -> dist/backup_report-<version>-py3-none-any.whl
    python scripts/build_package.py --out DIR

This is the Glue build of the package (``BACKUP_REPORT_BUILD=glue``, see ``setup.py``): only
the modules the job imports (no CLI, doctor or ``local/`` tooling, no package data) and no
``Requires-Dist`` at all. The job's runtime (awswrangler, pandas, ...) is exactly the pins the
job installs with ``--additional-python-modules``; a requirement range in the wheel could let
Glue's pip pick other versions. Glue Python shell runs Python 3.9, so the wheel must be
``py3-none-any`` and allow 3.9.
"""
from __future__ import annotations

import argparse
import email.parser
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Optional, Sequence

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
PACKAGE = "backup_report"


class BuildError(Exception):
    """The wheel could not be built, or is not one Glue Python shell 3.9 can load."""


def _can_build_offline() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("setuptools", "wheel"))


def check_wheel(wheel: Path) -> None:
    """Raise BuildError unless ``wheel`` is pure Python, allows Python 3.9 and holds the package."""
    if not wheel.name.endswith("-py3-none-any.whl"):
        raise BuildError(f"{wheel.name} is not a pure-Python (py3-none-any) wheel")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata_name = next((n for n in names if n.endswith(".dist-info/METADATA")), None)
        if metadata_name is None:
            raise BuildError(f"{wheel.name} has no METADATA")
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode("utf-8"))
    if f"{PACKAGE}/job.py" not in names:
        raise BuildError(f"{wheel.name} does not contain the job ({PACKAGE}/job.py)")
    tooling = [n for n in names if n.startswith((f"{PACKAGE}/local/", f"{PACKAGE}/_data/"))]
    if tooling:
        raise BuildError(f"{wheel.name} carries local tooling Glue does not need, e.g. {tooling[0]}: "
                         "build it with scripts/build_package.py (BACKUP_REPORT_BUILD=glue)")
    requirements = metadata.get_all("Requires-Dist") or []
    if requirements:
        raise BuildError(f"{wheel.name} declares requirements ({', '.join(requirements)}) that Glue's pip "
                         "could satisfy with versions other than the pins of requirements-glue.txt")
    requires = metadata.get("Requires-Python", "")
    if requires and requires.replace(" ", "") not in (">=3.9", ">=3.8", ">=3.7", ">=3.6", ">=3"):
        raise BuildError(f"{wheel.name} requires Python {requires}: Glue Python shell runs 3.9")


def build_wheel(out_dir: Path = DIST, quiet: bool = True) -> Path:
    """Build the wheel into ``out_dir`` (replacing an older one of the same name); return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # stale build/lib could ship deleted modules
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                   "--wheel-dir", tmp, str(ROOT)]
        if _can_build_offline():
            command.insert(4, "--no-build-isolation")
        if quiet:
            command.insert(4, "-q")
        result = subprocess.run(command, cwd=str(ROOT), capture_output=True, text=True,
                                env=dict(os.environ, BACKUP_REPORT_BUILD="glue"))
        shutil.rmtree(ROOT / "build", ignore_errors=True)
        if result.returncode != 0:
            raise BuildError("pip wheel failed:\n" + (result.stdout + result.stderr)[-4000:])
        wheels = sorted(Path(tmp).glob(f"{PACKAGE}-*.whl"))
        if len(wheels) != 1:
            raise BuildError(f"expected one {PACKAGE} wheel, pip produced {[w.name for w in wheels]}")
        check_wheel(wheels[0])
        target = out_dir / wheels[0].name
        shutil.copyfile(str(wheels[0]), str(target))
    return target


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DIST, help="directory of the wheel (default dist/)")
    args = parser.parse_args(argv)
    try:
        wheel = build_wheel(args.out)
    except BuildError as error:
        print(f"build_package: error: {error}", file=sys.stderr)
        return 1
    print(wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
