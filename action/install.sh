#!/usr/bin/env bash
# Install workers-audit from the action's own checkout into a virtual environment of its
# own, and put only the `workers-audit` command on the job's PATH: the job's Python, pip
# and packages stay as the workflow set them.
#
# Environment: PYTHON (the interpreter to build the environment with), GITHUB_ACTION_PATH,
# RUNNER_TEMP, GITHUB_PATH (set by the runner).
set -euo pipefail

python="${PYTHON:-python3}"
home="${RUNNER_TEMP:?}/workers-audit"
venv="${home}/venv"
bin="${home}/bin"

"${python}" -m venv "${venv}"
"${venv}/bin/python" -m pip install --quiet --disable-pip-version-check "${GITHUB_ACTION_PATH:?}"

mkdir -p "${bin}"
ln -sf "${venv}/bin/workers-audit" "${bin}/workers-audit"
"${bin}/workers-audit" --version
echo "${bin}" >> "${GITHUB_PATH:?}"
