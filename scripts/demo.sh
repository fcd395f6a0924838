#!/usr/bin/env bash
# The README's demo command: ./scripts/demo.sh
#
# On a fresh machine (Python 3.9+ only): creates a virtualenv (reuses .venv when it already has
# what the demo needs, else .venv-demo), installs the project with its local extras, then runs
# backup_report.local.demo:
#   moto's server + the AWS Backup emulator (local processes), a synthetic organisation
#   (12 accounts, 3 regions: a daily backup per resource, a few percent failing, one account
#   failing for two days), a 30-day backfill by the real Glue entry script, tonight's run with
#   one region denied (measured: rows kept, the whole error, the job logs in demo-output/),
#   every saved query of sql/ answered locally, and demo-output/index.html (self-contained).
#   Its last lines say how to keep exploring (this virtualenv, backup-report local up).
# It never talks to real AWS: every AWS_* setting of your shell is dropped and replaced by
# local ones (dummy credentials, endpoints on 127.0.0.1). Extra arguments go to the demo
# (--output DIR, --days N).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${DEMO_VENV:-}
needs='import backup_report, moto.server, duckdb, sqlglot, awswrangler'

if [ -z "$VENV" ]; then
  if [ -x .venv/bin/python ] && .venv/bin/python -c "$needs" 2>/dev/null; then
    VENV=.venv
  else
    VENV=.venv-demo
  fi
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating the virtualenv $VENV ($("$PYTHON" --version 2>&1))"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi
if ! "$VENV/bin/python" -c "$needs" 2>/dev/null; then
  echo "== installing backup-report[local] into $VENV (first run only)"
  "$VENV/bin/python" -m pip install -q -c scripts/constraints-dev.txt -e '.[local]'
fi

# Local AWS only, whatever the shell had: no profile, no real credentials, no real endpoint.
for name in $(env | sed -n 's/^\(AWS_[A-Za-z0-9_]*\)=.*/\1/p'); do
  unset "$name"
done
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 \
       AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL=http://127.0.0.1:9 \
       AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

exec "$VENV/bin/python" -m backup_report.local.demo "$@"
