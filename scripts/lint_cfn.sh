#!/usr/bin/env bash
# CloudFormation checks of cloudformation/*.yml; exits non-zero on any finding:
#   1. the generated sections are up to date (scripts/render_named_queries.py --check),
#   2. cfn-lint: zero errors, zero warnings,
#   3. checkov: zero failed checks, no parsing error; every skip carries a written reason
#      (Metadata: checkov: skip: - id: ..., comment: ...).
# cfn-lint and checkov are installed, pinned, into $LINT_VENV (default .venv-lint) when missing.
#   LINT_VENV=/tmp/venv-lint scripts/lint_cfn.sh
set -euo pipefail
cd "$(dirname "$0")/.."

LINT_VENV=${LINT_VENV:-.venv-lint}
PYTHON=${PYTHON:-python3}
CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30
TEMPLATES=(cloudformation/*.yml)

have_tools() {
  "$LINT_VENV/bin/python" - "$CFN_LINT_VERSION" "$CHECKOV_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(version("cfn-lint") != sys.argv[1] or version("checkov") != sys.argv[2])
PY
}

if ! have_tools; then
  echo "== lint_cfn: installing cfn-lint $CFN_LINT_VERSION and checkov $CHECKOV_VERSION into $LINT_VENV"
  [ -x "$LINT_VENV/bin/python" ] || "$PYTHON" -m venv "$LINT_VENV"
  log=$(mktemp)
  if ! "$LINT_VENV/bin/python" -m pip install -q --disable-pip-version-check \
       "cfn-lint==$CFN_LINT_VERSION" "checkov==$CHECKOV_VERSION" >"$log" 2>&1; then
    cat "$log"; rm -f "$log"
    echo "lint_cfn: could not install cfn-lint/checkov into $LINT_VENV" >&2
    exit 1
  fi
  rm -f "$log"
fi

echo "== lint_cfn: generated sections (sql/, requirements-glue.txt, schema.py)"
"$LINT_VENV/bin/python" scripts/render_named_queries.py --check

echo "== lint_cfn: cfn-lint $CFN_LINT_VERSION ${TEMPLATES[*]}"
# Any finding (error, warning or informational) gives a non-zero exit status.
"$LINT_VENV/bin/cfn-lint" --format parseable -- "${TEMPLATES[@]}"

echo "== lint_cfn: checkov $CHECKOV_VERSION -d cloudformation/"
report=$(mktemp)
trap 'rm -f "$report"' EXIT
# --skip-download: no call to the Prisma Cloud platform (no network in CI); the exit status
# is judged from the JSON report below, so that a parsing error cannot pass as "0 failed".
BC_SKIP_MAPPING=TRUE "$LINT_VENV/bin/checkov" -d cloudformation/ --framework cloudformation \
  --skip-download --output json >"$report" 2>/dev/null || true
"$LINT_VENV/bin/python" - "$report" "${TEMPLATES[@]}" <<'PY'
import json
import sys

import yaml


class Loader(yaml.SafeLoader):
    pass


Loader.add_multi_constructor("!", lambda loader, suffix, node: None)

path, templates = sys.argv[1], sys.argv[2:]
try:
    data = json.load(open(path))
except ValueError:
    sys.exit("lint_cfn: checkov did not produce a report:\n" + open(path).read()[-3000:])
reports = data if isinstance(data, list) else [data]
failed, parsing_errors, passed, skipped = [], [], 0, []
for report in reports:
    results = report.get("results", {})
    failed += results.get("failed_checks", [])
    skipped += results.get("skipped_checks", [])
    parsing_errors += results.get("parsing_errors", [])
    passed += report.get("summary", {}).get("passed", 0)
for check in failed:
    print(f"FAILED {check['check_id']} {check['resource']} ({check['file_path']}): {check['check_name']}")
for error in parsing_errors:
    print(f"PARSING ERROR {error}")
unexplained = []
for template in templates:
    resources = (yaml.load(open(template), Loader=Loader) or {}).get("Resources") or {}
    for name, resource in resources.items():
        skips = (((resource or {}).get("Metadata") or {}).get("checkov") or {}).get("skip") or []
        for skip in skips:
            if len(str(skip.get("comment") or "").strip()) < 20:
                unexplained.append(f"{template}: {name} skips {skip.get('id')} without a written reason")
for line in unexplained:
    print(f"UNEXPLAINED SKIP {line}")
print(f"checkov: {passed} passed, {len(failed)} failed, {len(skipped)} skipped (each with its reason), "
      f"{len(parsing_errors)} parsing errors")
sys.exit(1 if failed or parsing_errors or unexplained or passed == 0 else 0)
PY
echo "== lint_cfn: OK"
