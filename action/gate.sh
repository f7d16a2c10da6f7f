#!/usr/bin/env bash
# The action's verdict, after the SARIF upload and the comment: the exit status of `check`
# when it is not 0, else that of `diff`. 1 is findings at or above the fail level (or an
# increase past a limit), 2 an audit that could not run.
#
# Environment: CHECK_EXIT, DIFF_EXIT (empty when diff did not run).
set -euo pipefail

check="${CHECK_EXIT:-}"
diff="${DIFF_EXIT:-}"

if [[ -z "${check}" ]]; then
  echo "::error title=workers-audit::workers-audit check did not run"
  exit 2
fi
if [[ "${check}" != 0 ]]; then
  echo "workers-audit check failed the gate (exit status ${check})"
  exit "${check}"
fi
if [[ -n "${diff}" && "${diff}" != 0 ]]; then
  echo "workers-audit diff failed the gate (exit status ${diff})"
  exit "${diff}"
fi
echo "workers-audit: passed"
