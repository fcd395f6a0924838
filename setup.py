"""Two builds of the one ``backup_report`` package (metadata in setup.cfg).

* The default build (``pip install .``, ``pip wheel .``): the job, the CLI (``backup-report``),
  ``doctor`` and the local tooling (``backup_report.local``), with the saved queries, the
  Glue pin set and a copy of the Glue entry script as package data under ``backup_report/_data/``.
* ``BACKUP_REPORT_BUILD=glue`` (``scripts/build_package.py``): the wheel Glue loads from
  ``--extra-py-files``. Only the modules the job imports, no package data, and no
  ``Requires-Dist``: its runtime is exactly the pins the job installs with
  ``--additional-python-modules``, which a loose range here could otherwise let Glue's pip
  replace with other versions.
"""
import os
import shutil
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
GLUE_BUILD = os.environ.get("BACKUP_REPORT_BUILD", "") == "glue"
#: Modules of the package the Glue job never imports (tools for people, not for the job).
NOT_FOR_GLUE = {"cli", "doctor", "doctor_checks", "output", "permissions", "queries", "resources"}


class BuildPy(build_py):
    """Leaves the tools out of the Glue build; copies sql/, the pins and the Glue entry script
    into the default build."""

    def find_package_modules(self, package, package_dir):
        modules = super().find_package_modules(package, package_dir)
        if GLUE_BUILD and package == "backup_report":
            modules = [m for m in modules if m[1] not in NOT_FOR_GLUE]
        return modules

    def run(self):
        super().run()
        if GLUE_BUILD:
            return
        data = Path(self.build_lib) / "backup_report" / "_data"
        (data / "sql").mkdir(parents=True, exist_ok=True)
        for path in sorted((ROOT / "sql").glob("*.sql")):
            shutil.copyfile(str(path), str(data / "sql" / path.name))
        shutil.copyfile(str(ROOT / "glue_jobs" / "requirements-glue.txt"), str(data / "requirements-glue.txt"))
        # The Glue entry script: the demo and `backup-report local up` run the real one, as Glue would.
        shutil.copyfile(str(ROOT / "glue_jobs" / "backup_report_job.py"), str(data / "backup_report_job.py"))


#: What the local AWS (moto server, AWS Backup emulator) and the local Athena engine need.
LOCAL = ["moto[server]>=5.0", "duckdb>=1.0", "sqlglot>=25"]

if GLUE_BUILD:
    options = dict(
        packages=find_packages("glue_jobs", include=["backup_report"]),
        install_requires=[],
    )
else:
    options = dict(
        packages=find_packages("glue_jobs", include=["backup_report", "backup_report.*"]),
        install_requires=["boto3>=1.34", "awswrangler>=3.10,<4", "pandas>=2.0", "orjson>=3.9"],
        extras_require={
            "local": LOCAL,
            "test": ["pytest>=8", *LOCAL, "sqlfluff>=3"],
        },
        entry_points={"console_scripts": ["backup-report = backup_report.cli:main"]},
    )

setup(package_dir={"": "glue_jobs"}, cmdclass={"build_py": BuildPy}, **options)
