#!/usr/bin/env bash
# Post the diff's Markdown as a pull request comment, or update the comment an earlier run
# posted: the one whose body starts with the hidden marker. Comments without the marker,
# people's and other tools', are left alone.
#
# Usage: pr-comment.sh MARKDOWN_FILE
# Environment: GH_TOKEN (read by gh), GITHUB_REPOSITORY (owner/name), PR_NUMBER,
# PYTHON (reads gh's JSON; default python3), GITHUB_OUTPUT (optional).
set -euo pipefail

marker="<!-- workers-audit-diff -->"
markdown="${1:?usage: pr-comment.sh MARKDOWN_FILE}"
repository="${GITHUB_REPOSITORY:?}"
number="${PR_NUMBER:?not a pull request}"
python="${PYTHON:-python3}"

body="$(mktemp)"
trap 'rm -f "${body}"' EXIT
# The marker is how the next run finds this comment: make sure the body starts with it.
if [[ "$(head -n 1 "${markdown}")" == "${marker}" ]]; then
  cat "${markdown}" > "${body}"
else
  { echo "${marker}"; cat "${markdown}"; } > "${body}"
fi

# --paginate prints one JSON array per page, back to back.
comments="$(gh api --paginate "repos/${repository}/issues/${number}/comments?per_page=100")"
existing="$(MARKER="${marker}" "${python}" -c '
import json, os, sys

marker, text, decoder, at = os.environ["MARKER"], sys.stdin.read(), json.JSONDecoder(), 0
while text[at:].strip():
    while text[at].isspace():
        at += 1
    page, at = decoder.raw_decode(text, at)
    for comment in page:
        if (comment.get("body") or "").lstrip().startswith(marker):
            print(comment["id"])
            sys.exit()
' <<< "${comments}")"

if [[ -n "${existing}" ]]; then
  gh api --method PATCH "repos/${repository}/issues/comments/${existing}" \
    -F "body=@${body}" --jq '.html_url'
  action=updated
else
  gh api --method POST "repos/${repository}/issues/${number}/comments" \
    -F "body=@${body}" --jq '.html_url'
  action=created
fi
echo "workers-audit: ${action} the pull request comment"
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  echo "comment=${action}" >> "${GITHUB_OUTPUT}"
fi
