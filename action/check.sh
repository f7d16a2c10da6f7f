#!/usr/bin/env bash
# Run `workers-audit check` twice: GitHub annotations for the log and the pull request's
# changed files, then SARIF for code scanning. The gate's exit status is written to
# GITHUB_OUTPUT (`exit-code`), not returned: the SARIF upload and the pull request comment
# still run, and the action's last step fails the job.
#
# Environment: INPUT_PATH (paths, one a line), INPUT_FAIL_ON, INPUT_BASELINE,
# INPUT_SARIF_FILE (default: under RUNNER_TEMP), GITHUB_OUTPUT.
set -euo pipefail

paths=()
while IFS= read -r line; do
  if [[ -n "${line//[[:space:]]/}" ]]; then
    paths+=("${line}")
  fi
done <<< "${INPUT_PATH:-.}"
[[ ${#paths[@]} -gt 0 ]] || paths=(.)

gate=()
[[ -z "${INPUT_FAIL_ON:-}" ]] || gate+=(--fail-on "${INPUT_FAIL_ON}")
[[ -z "${INPUT_BASELINE:-}" ]] || gate+=(--baseline "${INPUT_BASELINE}")

status=0
workers-audit check --format github ${gate[@]+"${gate[@]}"} -- "${paths[@]}" || status=$?
echo "exit-code=${status}" >> "${GITHUB_OUTPUT:?}"

# Every finding, the baseline's too: code scanning keeps track of which alerts are new.
sarif="${INPUT_SARIF_FILE:-${RUNNER_TEMP:?}/workers-audit/workers-audit.sarif}"
mkdir -p "$(dirname "${sarif}")"
rm -f "${sarif}"  # a file left by an earlier run of the action in this job is not this audit
sarif_status=0
workers-audit check --format sarif --output "${sarif}" --fail-on never -- "${paths[@]}" \
  || sarif_status=$?
if [[ -s "${sarif}" ]]; then
  echo "sarif-file=${sarif}" >> "${GITHUB_OUTPUT}"
else
  echo "::warning title=workers-audit::no SARIF written (exit status ${sarif_status})"
fi

if [[ ${status} -eq 1 ]]; then
  echo "::notice title=workers-audit::findings at or above the fail level (exit status 1)"
elif [[ ${status} -ne 0 ]]; then
  echo "::error title=workers-audit::the audit could not run (exit status ${status})"
fi
