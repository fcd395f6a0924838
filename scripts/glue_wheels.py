#!/usr/bin/env python3
"""The Glue pin set as Glue's pip sees it: wheels for CPython 3.9 on Amazon Linux 2 (glibc 2.26).

    python3.9 scripts/glue_wheels.py download --dest .glue-wheels   # resolve + check, into a folder
    .venv39/bin/python scripts/glue_wheels.py verify-env            # the running env is exactly that

Glue Python shell installs ``--additional-python-modules`` with pip on Python 3.9, x86_64,
glibc 2.26, and never compiles native code. ``download`` resolves
``glue_jobs/requirements-glue.txt`` with ``pip download --only-binary=:all:`` for exactly the
platform tags such a system accepts, so a pin without a usable wheel (pyarrow 21 ships only
``manylinux_2_28`` for cp39) fails here, naming the package, instead of on the first real run.
It also fails when the resolution needs a package the file does not pin (Glue's pip could then
drift to any version). ``scripts/test.sh`` builds the Python 3.9 test environment from the
downloaded files only (``--no-index --find-links``), and ``verify-env`` checks that what is
installed is those versions, from wheels Glue could use.

Run ``download`` with a Python 3.9 interpreter: pip evaluates environment markers with the
interpreter that runs it, not with ``--python-version`` (botocore needs ``urllib3<1.27`` on 3.9
only), so another Python would resolve a different set.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "glue_jobs" / "requirements-glue.txt"
#: What Glue Python shell 3.9 runs on.
PYTHON_VERSION = "3.9"
GLIBC = (2, 26)
#: The platform tags pip on Amazon Linux 2 (glibc 2.26, x86_64) accepts, newest first as pip
#: lists them; manylinux2014 is manylinux_2_17. Older manylinux tags are implied by these.
PLATFORMS = tuple(f"manylinux_2_{minor}_x86_64" for minor in range(GLIBC[1], 16, -1)) + ("manylinux2014_x86_64",)
PLATFORM_TEXT = f"CPython {PYTHON_VERSION}, x86_64 Linux with glibc <= {GLIBC[0]}.{GLIBC[1]} (Glue Python shell)"


class GlueWheelError(Exception):
    """The pin set cannot be installed by Glue's pip exactly as pinned."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path = REQUIREMENTS) -> Dict[str, str]:
    """``{canonical name: version}`` of the ``name==version`` lines of ``path``."""
    pins: Dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", text)
        if not match:
            raise GlueWheelError(f"{path.name}:{number}: {text!r} is not an exact pin (name==version)")
        pins[canonical(match.group(1))] = match.group(2)
    return pins


def tag_is_glue_compatible(tag: str) -> bool:
    """True when the wheel tag ``python-abi-platform`` installs on Glue Python shell 3.9."""
    python, abi, platform = tag.split("-")
    if not {"py3", "cp39", "py2.py3"} & ({python} | set(python.split("."))):
        return False
    if abi not in ("none", "abi3", "cp39"):
        return False
    if platform == "any":
        return True
    old = {"manylinux1_x86_64": (2, 5), "manylinux2010_x86_64": (2, 12), "manylinux2014_x86_64": (2, 17)}
    if platform in old:
        return old[platform] <= GLIBC
    match = re.fullmatch(r"manylinux_(\d+)_(\d+)_x86_64", platform)
    return bool(match) and (int(match.group(1)), int(match.group(2))) <= GLIBC


def wheel_name_tags(filename: str) -> Tuple[str, str, List[str]]:
    """(canonical name, version, expanded tags) of a wheel file name."""
    parts = filename[:-len(".whl")].split("-")
    name, version, python, abi, platform = parts[0], parts[1], parts[-3], parts[-2], parts[-1]
    tags = [f"{p}-{a}-{pl}" for p in python.split(".") for a in abi.split(".") for pl in platform.split(".")]
    return canonical(name), version, tags


def pip_failure(output: str) -> str:
    """The cause of a failed ``pip download``, naming the requirement that has no usable wheel."""
    missing = re.search(r"No matching distribution found for ([^\s]+)", output)
    if missing:
        versions = re.search(r"\(from versions: ([^)]*)\)", output)
        usable = [v.strip() for v in versions.group(1).split(",")] if versions else []
        usable = [v for v in usable if v and v != "none"]
        newest = f"; the newest release with a usable wheel is {usable[-1]}" if usable else ""
        return (f"no wheel of {missing.group(1)} installs on {PLATFORM_TEXT}: pip found none for "
                f"cp39 and the platform tags {', '.join(PLATFORMS)}{newest}. "
                "Pick a version that publishes one in glue_jobs/requirements-glue.txt")
    conflict = re.search(r"(Cannot install .*|ResolutionImpossible.*|conflict is caused by:[\s\S]{0,600})", output)
    if conflict:
        return f"the pins conflict with each other: {conflict.group(1).strip()}"
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith("WARNING")]
    return "pip download failed: " + " / ".join(lines[-3:])


def download(dest: Path, requirements: Path = REQUIREMENTS, python: str = sys.executable) -> List[Path]:
    """Resolve ``requirements`` for Glue into ``dest``; return the wheels. Raises GlueWheelError."""
    pins = read_pins(requirements)
    dest.mkdir(parents=True, exist_ok=True)
    for stale in dest.glob("*.whl"):  # the folder must hold exactly this resolution (pip caches downloads)
        stale.unlink()
    command = [python, "-m", "pip", "download", "--disable-pip-version-check", "--only-binary=:all:",
               "--python-version", PYTHON_VERSION, "--implementation", "cp", "--dest", str(dest),
               "-r", str(requirements)]
    for platform in PLATFORMS:
        command += ["--platform", platform]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise GlueWheelError(pip_failure(result.stdout + result.stderr))
    wheels = sorted(dest.glob("*.whl"))
    check_closure(pins, [w.name for w in wheels])
    return wheels


def check_closure(pins: Dict[str, str], filenames: Iterable[str]) -> None:
    """Every resolved wheel is a pin, at the pinned version, with a tag Glue accepts."""
    problems = []
    for filename in filenames:
        name, version, tags = wheel_name_tags(filename)
        if name not in pins:
            problems.append(f"{name}=={version} is needed (a dependency of the pins) but not pinned: add it")
        elif pins[name] != version:
            problems.append(f"{name} resolved to {version}, not the pinned {pins[name]}")
        if not any(tag_is_glue_compatible(t) for t in tags):
            problems.append(f"{filename} does not install on {PLATFORM_TEXT}")
    if problems:
        raise GlueWheelError("; ".join(problems))


def verify_environment(pins: Dict[str, str]) -> None:
    """The running environment holds every pin at its version, installed from a Glue-usable wheel."""
    from importlib.metadata import PackageNotFoundError, distribution

    problems = []
    for name, version in sorted(pins.items()):
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            problems.append(f"{name} is not installed")
            continue
        if dist.version != version:
            problems.append(f"{name} is {dist.version}, not the pinned {version}")
            continue
        wheel_file = dist.read_text("WHEEL") or ""
        tags = [line.split(":", 1)[1].strip() for line in wheel_file.splitlines() if line.startswith("Tag:")]
        if not any(tag_is_glue_compatible(t) for t in tags):
            problems.append(f"{name} {version} was installed from a wheel tagged {', '.join(tags) or '?'}, "
                            f"which Glue cannot use ({PLATFORM_TEXT})")
    if problems:
        raise GlueWheelError("the environment is not the Glue pin set: " + "; ".join(problems)
                             + " (remove .venv39 and run scripts/test.sh again)")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("download", help="resolve the pins for Glue into a folder of wheels")
    get.add_argument("--dest", type=Path, default=None, help="folder for the wheels (default: a temporary one)")
    get.add_argument("--requirements", type=Path, default=REQUIREMENTS)
    get.add_argument("--python", default=sys.executable,
                     help="Python 3.9 interpreter whose pip resolves (default: this one)")
    verify = commands.add_parser("verify-env", help="check the running environment is exactly the pin set")
    verify.add_argument("--requirements", type=Path, default=REQUIREMENTS)
    args = parser.parse_args(argv)
    try:
        if args.command == "verify-env":
            verify_environment(read_pins(args.requirements))
            print(f"the environment holds the {len(read_pins(args.requirements))} Glue pins, from Glue-usable wheels")
            return 0
        version = subprocess.run([args.python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True).stdout.strip()
        if version != PYTHON_VERSION:
            raise GlueWheelError(f"run with a Python {PYTHON_VERSION} interpreter (--python), not {version or args.python}: "
                                 "pip evaluates environment markers with the interpreter that runs it")
        dest = args.dest or Path(tempfile.mkdtemp(prefix="glue-wheels-"))
        wheels = download(dest, args.requirements, args.python)
    except GlueWheelError as error:
        print(f"glue_wheels: error: {error}", file=sys.stderr)
        return 1
    print(f"{len(wheels)} wheels for {PLATFORM_TEXT} in {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
