"""What is deployed to Glue: the job's wheel, and the pin set as Glue's pip resolves it."""
from __future__ import annotations

import ast
import email.parser
import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIR = ROOT / "glue_jobs" / "backup_report"
PY39 = next((p for p in ("/root/.pyenv/versions/3.9.18/bin/python", shutil.which("python3.9"))
             if p and Path(p).exists()), None)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_package = _load("build_package")
glue_wheels = _load("glue_wheels")


def job_modules() -> set:
    """The package's modules the Glue entry script needs: backup_report.job and what it imports."""
    needed, todo = set(), ["job"]
    while todo:
        name = todo.pop()
        if name in needed or not (PACKAGE_DIR / f"{name}.py").is_file():  # e.g. __version__
            continue
        needed.add(name)
        tree = ast.parse((PACKAGE_DIR / f"{name}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                todo += [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
    return {f"backup_report/{m}.py" for m in needed | {"__init__"}}


@pytest.fixture(scope="module")
def glue_wheel(tmp_path_factory) -> Path:
    return build_package.build_wheel(tmp_path_factory.mktemp("dist"))


def _contents(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        meta = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    return names, email.parser.Parser().parsestr(meta)


def test_the_glue_wheel_holds_exactly_the_modules_the_job_imports(glue_wheel):
    names, _ = _contents(glue_wheel)
    modules = {n for n in names if not n.startswith("backup_report-")}
    assert modules == job_modules()
    assert "backup_report/job.py" in modules and "backup_report/write.py" in modules
    assert not [n for n in names if "/local/" in n or "/_data/" in n or n.endswith("cli.py")]


def test_the_glue_wheel_declares_no_requirement_glue_pip_could_resolve_differently(glue_wheel):
    names, metadata = _contents(glue_wheel)
    assert glue_wheel.name.startswith("backup_report-") and glue_wheel.name.endswith("-py3-none-any.whl")
    assert metadata.get_all("Requires-Dist") is None
    assert metadata["Requires-Python"].replace(" ", "") == ">=3.9"
    assert not any(n.endswith("entry_points.txt") for n in names)


def test_the_glue_wheel_alone_runs_the_entry_script_without_the_tooling(glue_wheel, tmp_path):
    """Only the wheel on sys.path (no checkout): the job module and its stages import."""
    site = tmp_path / "site"
    with zipfile.ZipFile(glue_wheel) as archive:
        archive.extractall(site)
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import backup_report.job, backup_report.arguments; "
            "import importlib.util as u; print(u.find_spec('backup_report.local'))")
    result = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True,
                            cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "None"


def test_check_wheel_refuses_a_wheel_with_requirements_or_tooling(tmp_path):
    """The default build (pip wheel .) is the development distribution: deploy refuses it."""
    out = tmp_path / "full"
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # a stale build/lib would mix the two builds
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--wheel-dir", str(out),
                             str(ROOT)], capture_output=True, text=True, cwd=str(ROOT))
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    assert result.returncode == 0, result.stderr[-2000:]
    wheel = next(out.glob("*.whl"))
    names, metadata = _contents(wheel)
    assert "backup_report/_data/sql/01_failed_backup_jobs.sql" in names  # the CLI's saved queries ship
    assert "backup_report/_data/requirements-glue.txt" in names
    assert "backup_report/local/emulator/server.py" in names
    with pytest.raises(build_package.BuildError, match="local tooling|requirements"):
        build_package.check_wheel(wheel)


# ---------------------------------------------------------------- the pin set for Glue's pip

@pytest.mark.parametrize("tag, usable", [
    ("cp39-cp39-manylinux_2_17_x86_64", True),
    ("cp39-cp39-manylinux2014_x86_64", True),
    ("cp39-cp39-manylinux_2_26_x86_64", True),
    ("cp39-cp39-manylinux_2_28_x86_64", False),   # pyarrow 21's only cp39 Linux wheel
    ("cp39-cp39-manylinux_2_17_aarch64", False),
    ("cp310-cp310-manylinux_2_17_x86_64", False),
    ("cp39-abi3-manylinux1_x86_64", True),
    ("py3-none-any", True),
    ("py2-none-any", False),
    ("cp39-cp39-musllinux_1_1_x86_64", False),
])
def test_wheel_tags_glue_python_shell_can_install(tag, usable):
    assert glue_wheels.tag_is_glue_compatible(tag) is usable


def test_a_resolution_needing_an_unpinned_or_other_version_is_refused():
    pins = {"pandas": "2.3.3", "pyarrow": "20.0.0"}
    glue_wheels.check_closure(pins, ["pandas-2.3.3-cp39-cp39-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
                                     "pyarrow-20.0.0-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"])
    with pytest.raises(glue_wheels.GlueWheelError, match="tzdata==2026.6 is needed .* but not pinned"):
        glue_wheels.check_closure(pins, ["tzdata-2026.6-py2.py3-none-any.whl"])
    with pytest.raises(glue_wheels.GlueWheelError, match="pyarrow resolved to 21.0.0, not the pinned 20.0.0"):
        glue_wheels.check_closure(pins, ["pyarrow-21.0.0-cp39-cp39-manylinux_2_17_x86_64.whl"])
    with pytest.raises(glue_wheels.GlueWheelError, match="does not install on CPython 3.9"):
        glue_wheels.check_closure(pins, ["pyarrow-20.0.0-cp39-cp39-manylinux_2_28_x86_64.whl"])


def test_the_committed_pins_are_exact_and_cover_the_job_runtime():
    pins = glue_wheels.read_pins()
    assert {"awswrangler", "boto3", "botocore", "pandas", "pyarrow", "numpy"} <= set(pins)
    assert pins["pyarrow"].split(".")[0] == "20"  # 21 has no wheel for glibc 2.26


@pytest.mark.skipif(PY39 is None, reason="needs a Python 3.9 interpreter (scripts/test.sh finds it)")
def test_a_pin_without_a_glue_wheel_fails_naming_the_package_and_the_platform(tmp_path):
    requirements = tmp_path / "requirements-glue.txt"
    requirements.write_text("pyarrow==21.0.0\n")
    result = subprocess.run([PY39, str(ROOT / "scripts" / "glue_wheels.py"), "download",
                             "--requirements", str(requirements), "--dest", str(tmp_path / "wheels")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "no wheel of pyarrow==21.0.0" in result.stderr
    assert "glibc <= 2.26" in result.stderr and "manylinux2014_x86_64" in result.stderr
    assert "newest release with a usable wheel is 20.0.0" in result.stderr


def test_download_refuses_an_interpreter_other_than_39(tmp_path):
    if sys.version_info[:2] == (3, 9):
        pytest.skip("this interpreter is 3.9")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "glue_wheels.py"), "download",
                             "--dest", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "run with a Python 3.9 interpreter" in result.stderr
