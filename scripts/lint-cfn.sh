#!/usr/bin/env bash
# Synthesizes the app and runs cfn-lint (preinstalled on the machine image) on every template,
# including the nested assemblies of pipeline stages. Fails on errors; warnings are triaged in docs/security.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "cfn-lint not found: it is preinstalled on the project's machine image (pip install cfn-lint elsewhere)" >&2
  exit 1
fi
out="${CDK_OUTDIR:-cdk.out}"
npx cdk synth --quiet --output "$out" >/dev/null
mapfile -t templates < <(find "$out" -name '*.template.json' | sort)
echo "cfn-lint: ${#templates[@]} templates"
# Exit codes: 2 = error, 4 = warning, 8 = informational (bit flags). Only errors fail the build.
set +e
cfn-lint --format parseable -- "${templates[@]}"
status=$?
set -e
if (( status & 2 )); then
  echo "cfn-lint found errors" >&2
  exit 1
fi
echo "cfn-lint: no errors"
