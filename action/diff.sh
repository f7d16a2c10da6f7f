#!/usr/bin/env bash
# Run `workers-audit diff` against the base of the pull request and write its Markdown. The
# exit status is written to GITHUB_OUTPUT (`exit-code`), not returned, as in check.sh.
#
# Environment: INPUT_BASE (a commit or ref), INPUT_PATH (paths, one a line), INPUT_FAIL_ON,
# INPUT_FAIL_ON_INCREASE (METRIC=N, one or more, by lines or spaces), MARKDOWN_FILE
# (default: under RUNNER_TEMP), GITHUB_OUTPUT.
set -euo pipefail

base="${INPUT_BASE:?no base to compare with}"
markdown="${MARKDOWN_FILE:-${RUNNER_TEMP:?}/workers-audit/diff.md}"
mkdir -p "$(dirname "${markdown}")"

paths=()
while IFS= read -r line; do
  if [[ -n "${line//[[:space:]]/}" ]]; then
    paths+=("${line}")
  fi
done <<< "${INPUT_PATH:-.}"
[[ ${#paths[@]} -gt 0 ]] || paths=(.)

options=()
[[ -z "${INPUT_FAIL_ON:-}" ]] || options+=(--fail-on "${INPUT_FAIL_ON}")
while IFS= read -r line; do
  read -r -a words <<< "${line}"
  for limit in ${words[@]+"${words[@]}"}; do
    options+=(--fail-on-increase "${limit}")
  done
done <<< "${INPUT_FAIL_ON_INCREASE:-}"

# diff compares with the merge base of the base and HEAD, so it needs the history between
# them. A shallow checkout (actions/checkout's default) has neither: fetch the history, then
# the base itself if it is still missing. `fetch-depth: 0` makes both unnecessary; when a
# fetch fails, diff says what it misses.
if [[ "$(git rev-parse --is-shallow-repository 2> /dev/null || true)" == true ]]; then
  echo "::notice title=workers-audit::a shallow checkout: fetching its history (fetch-depth: 0 saves this)"
  git fetch --no-tags --quiet --unshallow origin \
    || echo "::warning title=workers-audit::could not fetch the history of the checkout"
fi
if ! git cat-file -e "${base}^{commit}" 2> /dev/null; then
  git fetch --no-tags --quiet origin "${base}" \
    || echo "::warning title=workers-audit::could not fetch the base ${base}"
fi

rm -f "${markdown}"  # a file left by an earlier run of the action in this job is not this diff
status=0
workers-audit diff --base "${base}" --format markdown --output "${markdown}" \
  ${options[@]+"${options[@]}"} -- "${paths[@]}" || status=$?
echo "exit-code=${status}" >> "${GITHUB_OUTPUT:?}"
if [[ -s "${markdown}" ]]; then
  echo "markdown-file=${markdown}" >> "${GITHUB_OUTPUT}"
fi
if [[ ${status} -ne 0 ]]; then
  echo "::notice title=workers-audit::diff against ${base} exited with status ${status}"
fi
