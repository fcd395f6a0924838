#!/usr/bin/env bash
# The README's test command. Creates its own virtualenvs, installs the project, and runs:
#   1. the static checks (Python 3.9 compatibility of glue_jobs/, ruff, mypy, CloudFormation lint),
#   2. the test suite on the default Python,
#   3. the Glue pin set (glue_jobs/requirements-glue.txt) resolved the way Glue's pip would
#      (cp39, manylinux glibc <= 2.26, wheels only), and the test suite again on Python 3.9
#      in an environment built from exactly those wheels, when a 3.9 interpreter is present.
# Extra arguments go to pytest (e.g. scripts/test.sh -k emulator).
#
#   scripts/test.sh --fast   the tier to run while working (about a minute): the lint and type checks,
#                            then the tests that run no job, build or install as a subprocess
#                            (pytest -m "not slow", on two workers), on the default Python only.
set -euo pipefail
cd "$(dirname "$0")/.."

FAST=""
if [ "${1:-}" = "--fast" ]; then
  FAST=1; shift
fi

PYTHON=${PYTHON:-python3}
PY39=${PY39:-}
if [ -z "$PY39" ]; then
  for candidate in /root/.pyenv/versions/3.9.18/bin/python python3.9; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))' 2>/dev/null; then
      PY39=$candidate; break
    fi
  done
fi

make_venv() {  # make_venv DIR PYTHON PIP-ARGS...
  local dir=$1 py=$2; shift 2
  if [ ! -x "$dir/bin/python" ]; then
    "$py" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --upgrade pip
  fi
  # (this machine's pip configuration warns about absent local indexes: not ours to show)
  "$dir/bin/python" -m pip install -q "$@" 2> >(grep -v '^WARNING: Location' >&2)
}

echo "== setup: .venv ($($PYTHON --version))"
# mypy with the type stubs of the SDK clients glue_jobs/ creates and of pandas (pins: constraints-dev.txt)
make_venv .venv "$PYTHON" -c scripts/constraints-dev.txt -e '.[test]' vermin ruff mypy pandas-stubs pytest-xdist \
  'boto3-stubs[athena,backup,config,ec2,events,glue,organizations,s3,sns,sqs,sts]'

echo "== static check: glue_jobs/ uses nothing newer than Python 3.9"
.venv/bin/vermin --no-tips --violations --target=3.9- --eval-annotations --backport dataclasses glue_jobs/ scripts/

echo "== static check: ruff (pyflakes, bugbear, simplify, isort, complexity; pyproject.toml)"
.venv/bin/ruff check glue_jobs/ scripts/ tests/

echo "== static check: mypy over glue_jobs/ for Python 3.9 (setup.cfg)"
.venv/bin/mypy

if [ -n "$FAST" ]; then
  echo "== fast tier: tests on $($PYTHON --version) without subprocess job runs, builds or installs (2 workers)"
  # pytest-xdist: each worker has its own local AWS (free ports), so the tier uses both CPUs
  exec .venv/bin/python -m pytest -m "not slow" -n 2 "$@"
fi

if [ -n "$PY39" ]; then
  # What Glue's pip would install: the pins resolved for cp39 and Amazon Linux 2's platform
  # tags, wheels only; fails naming a pin that has no such wheel, or a dependency not pinned.
  echo "== Glue pin set: wheels for Glue Python shell (CPython 3.9, manylinux, glibc <= 2.26)"
  "$PY39" scripts/glue_wheels.py download --dest .glue-wheels
fi

if [ -x scripts/lint_cfn.sh ]; then
  echo "== static check: CloudFormation (cfn-lint, checkov)"
  scripts/lint_cfn.sh
fi

echo "== tests on $($PYTHON --version)"
.venv/bin/python -m pytest "$@"

if [ -n "$PY39" ]; then
  # The 3.9 environment is built from exactly the files Glue's pip would install (resolved above).
  echo "== setup: .venv39 ($($PY39 --version)) from those wheels only, then the test tools"
  make_venv .venv39 "$PY39" --no-index --find-links .glue-wheels -r glue_jobs/requirements-glue.txt
  make_venv .venv39 "$PY39" -c glue_jobs/requirements-glue.txt -e '.[test]'
  .venv39/bin/python scripts/glue_wheels.py verify-env
  echo "== tests on $($PY39 --version) with the Glue pin set"
  .venv39/bin/python -m pytest "$@"
else
  echo "== SKIPPED: no Python 3.9 interpreter found (set PY39=...): the Glue runtime run did not happen"
fi
