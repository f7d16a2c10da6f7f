"""GitHub Actions schedules that call a Worker, read from small workflows written per test."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditor.cron import parse, schedule
from auditor.workflows import ExternalSchedule, WorkflowProblem, external_schedules


def write(root: Path, name: str, text: str) -> None:
    directory = root / ".github" / "workflows"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")


def calls(root: Path) -> list[tuple[str, str, str, str | None, str, int]]:
    """(cron, method, url, path, tool, call line) per record, with no problems expected."""
    found, problems = external_schedules(root, "")
    assert problems == []
    return [(s.cron, s.method, s.url, s.path, s.tool, s.call_line) for s in found]


def test_curl_get(tmp_path: Path) -> None:
    write(tmp_path, "ping.yml", """\
        name: ping
        on:
          schedule:
            - cron: "*/10 * * * *"
        jobs:
          ping:
            runs-on: ubuntu-latest
            steps:
              - name: Ping the worker
                run: curl -fsS https://my-worker.example.workers.dev/api/ping
        """)
    found, problems = external_schedules(tmp_path, "")
    assert problems == []
    assert found == [ExternalSchedule(
        workflow=".github/workflows/ping.yml", line=4, cron="*/10 * * * *",
        schedule=schedule(parse("*/10 * * * *", dialect="posix")), method="GET",
        url="https://my-worker.example.workers.dev/api/ping", path="/api/ping", job="ping",
        step="Ping the worker", tool="curl", call_line=10)]
    assert found[0].schedule.runs_per_day == 144


def test_curl_post_with_headers_and_secrets(tmp_path: Path) -> None:
    write(tmp_path, "trigger.yml", """\
        on:
          schedule:
            - cron: '0 * * * *'
        jobs:
          trigger:
            runs-on: ubuntu-latest
            steps:
              - run: >-
                  curl -sS -X POST -H "Authorization: Bearer ${{ secrets.TOKEN }}"
                  -H 'Content-Type: application/json' "${{ secrets.WORKER_URL }}/api/v1/jobs/trigger"
              - run: |
                  curl --request post --header "X-Key: $KEY" $WORKER_URL/api/refresh?full=1
              - run: curl -d '{"a":1}' https://w.example.dev/api/data
              - run: curl -fsSL --json '{}' https://w.example.dev/api/json
              - run: curl -XPUT https://w.example.dev/api/put
        """)
    assert calls(tmp_path) == [
        # A folded block joins its lines; the call's line is where its URL is written.
        ("0 * * * *", "POST", "${{ secrets.WORKER_URL }}/api/v1/jobs/trigger", "/api/v1/jobs/trigger",
         "curl", 10),
        ("0 * * * *", "POST", "$WORKER_URL/api/refresh?full=1", "/api/refresh", "curl", 12),
        ("0 * * * *", "POST", "https://w.example.dev/api/data", "/api/data", "curl", 13),
        ("0 * * * *", "POST", "https://w.example.dev/api/json", "/api/json", "curl", 14),
        ("0 * * * *", "PUT", "https://w.example.dev/api/put", "/api/put", "curl", 15),
    ]


def test_curl_methods_from_flags(tmp_path: Path) -> None:
    write(tmp_path, "flags.yml", """\
        on:
          schedule:
            - cron: '0 * * * *'
        jobs:
          flags:
            runs-on: ubuntu-latest
            steps:
              - run: curl -G -d q=1 https://w.example.dev/search
              - run: curl -I https://w.example.dev/head
              - run: curl -T report.csv https://w.example.dev/upload
              - run: curl -o out.json -w '%{http_code}' --url https://w.example.dev/by-option > log.txt 2>&1
        """)
    assert [(method, path) for _, method, _, path, _, _ in calls(tmp_path)] == [
        ("GET", "/search"), ("HEAD", "/head"), ("PUT", "/upload"), ("GET", "/by-option")]


def test_wget(tmp_path: Path) -> None:
    write(tmp_path, "wget.yaml", """\
        on:
          schedule:
            - cron: '30 6 * * *'
        jobs:
          fetch:
            runs-on: ubuntu-latest
            steps:
              - run: wget -qO- https://w.example.dev/api/daily
              - run: wget --post-data='x=1' -O /dev/null https://w.example.dev/api/post
              - run: wget --method=DELETE --header 'A:b' https://w.example.dev/api/old
              - run: wget -nv --spider https://w.example.dev/api/alive
        """)
    assert calls(tmp_path) == [
        ("30 6 * * *", "GET", "https://w.example.dev/api/daily", "/api/daily", "wget", 8),
        ("30 6 * * *", "POST", "https://w.example.dev/api/post", "/api/post", "wget", 9),
        ("30 6 * * *", "DELETE", "https://w.example.dev/api/old", "/api/old", "wget", 10),
        ("30 6 * * *", "HEAD", "https://w.example.dev/api/alive", "/api/alive", "wget", 11),
    ]


def test_httpie(tmp_path: Path) -> None:
    write(tmp_path, "httpie.yml", """\
        on:
          schedule:
            - cron: '0 0 * * *'
        jobs:
          h:
            runs-on: ubuntu-latest
            steps:
              - run: http --ignore-stdin https://w.example.dev/api/get Authorization:"Bearer x"
              - run: http -a user:pass POST w.example.dev/api/post name=value
              - run: https w.example.dev/api/implicit-post count:=3
              - run: xh delete :8787/api/local
              - run: http --offline POST https://w.example.dev/api/never a=b
        """)
    assert calls(tmp_path) == [
        ("0 0 * * *", "GET", "https://w.example.dev/api/get", "/api/get", "httpie", 8),
        ("0 0 * * *", "POST", "w.example.dev/api/post", "/api/post", "httpie", 9),
        ("0 0 * * *", "POST", "w.example.dev/api/implicit-post", "/api/implicit-post", "httpie", 10),
        ("0 0 * * *", "DELETE", ":8787/api/local", "/api/local", "xh", 11),
    ]


def test_multiple_crons_times_calls(tmp_path: Path) -> None:
    write(tmp_path, "multi.yml", """\
        on:
          schedule:
            - cron: '*/15 * * * *'
            - cron: '0 9 * * 1-5'
          workflow_dispatch:
        jobs:
          both:
            runs-on: ubuntu-latest
            steps:
              - run: |
                  curl https://w.example.dev/a
                  curl https://w.example.dev/b
        """)
    found, _ = external_schedules(tmp_path, "")
    assert [(s.line, s.cron, s.path, s.call_line) for s in found] == [
        (3, "*/15 * * * *", "/a", 11), (3, "*/15 * * * *", "/b", 12),
        (4, "0 9 * * 1-5", "/a", 11), (4, "0 9 * * 1-5", "/b", 12),
    ]
    # POSIX numbering: 1-5 is Monday to Friday, 1,043 runs in the 1,461 days from a Friday.
    assert found[0].schedule.runs_per_day == 96
    assert found[2].schedule.runs_per_day == pytest.approx(1043 / 1461)


def test_multi_line_script_with_continuations(tmp_path: Path) -> None:
    write(tmp_path, "script.yml", """\
        on:
          schedule:
            - cron: '5 4 * * 0'
        env:
          BASE: https://w.example.dev
        jobs:
          run:
            runs-on: ubuntu-latest
            steps:
              - name: Refresh
                env:
                  ENDPOINT: ${{ secrets.WORKER_URL }}/api/refresh
                run: |
                  set -euo pipefail
                  # curl https://w.example.dev/commented-out
                  echo "curl https://w.example.dev/in-a-string"
                  curl --fail --silent \\
                    --request POST \\
                    -H "Authorization: Bearer ${{ secrets.TOKEN }}" \\
                    "$ENDPOINT"
                  status=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/health")
                  URL="$BASE/api/jobs/run"
                  curl -X POST "$URL" <<EOF
                  curl https://w.example.dev/inside-a-heredoc
                  EOF
                  if ! wget -q -O - "${BASE}/api/check"; then exit 1; fi
        """)
    found, problems = external_schedules(tmp_path, "")
    assert problems == []
    assert [(s.method, s.url, s.path, s.tool, s.call_line, s.step) for s in found] == [
        ("POST", "$ENDPOINT", "/api/refresh", "curl", 17, "Refresh"),
        ("GET", "$BASE/health", "/health", "curl", 21, "Refresh"),
        ("POST", "$URL", "/api/jobs/run", "curl", 23, "Refresh"),
        ("GET", "${BASE}/api/check", "/api/check", "wget", 26, "Refresh"),
    ]


def test_quoted_and_unrelated_urls(tmp_path: Path) -> None:
    # Matching against the Worker's routes is the caller's: an unrelated URL is extracted too.
    write(tmp_path, "quoted.yml", """\
        on:
          schedule:
            - cron: '0 12 * * *'
        jobs:
          q:
            runs-on: ubuntu-latest
            steps:
              - run: curl 'https://w.example.dev/api/single?x=1&y=2'
              - run: curl "https://w.example.dev/api/double#frag"
              - run: curl -s https://api.github.com/repos/o/r/releases/latest | jq -r .tag_name
              - run: "curl https://w.example.dev/api/yaml-quoted"
              - run: curl $CURL_OPTS https://w.example.dev/api/with-options
              - run: curl https://w.example.dev
        """)
    assert [(url, path) for _, _, url, path, _, _ in calls(tmp_path)] == [
        ("https://w.example.dev/api/single?x=1&y=2", "/api/single"),
        ("https://w.example.dev/api/double#frag", "/api/double"),
        ("https://api.github.com/repos/o/r/releases/latest", "/repos/o/r/releases/latest"),
        ("https://w.example.dev/api/yaml-quoted", "/api/yaml-quoted"),
        ("https://w.example.dev/api/with-options", "/api/with-options"),
        ("https://w.example.dev", "/"),
    ]


def test_url_that_is_only_a_variable_has_no_path(tmp_path: Path) -> None:
    write(tmp_path, "bare.yml", """\
        on:
          schedule:
            - cron: '0 12 * * *'
        jobs:
          q:
            runs-on: ubuntu-latest
            steps:
              - run: curl -X POST "${{ secrets.TRIGGER_URL }}"
              - run: curl "$HOOK?x=1"
        """)
    assert [(url, path) for _, _, url, path, _, _ in calls(tmp_path)] == [
        ("${{ secrets.TRIGGER_URL }}", None), ("$HOOK?x=1", None)]


def test_code_and_actions(tmp_path: Path) -> None:
    write(tmp_path, "code.yml", """\
        on:
          schedule:
            - cron: '0 3 * * *'
        jobs:
          code:
            runs-on: ubuntu-latest
            steps:
              - run: node -e "fetch(process.env.WORKER_URL + '/api/node', {method:'POST'})"
              - shell: python
                run: |
                  import os, requests
                  requests.get(f"{os.environ['BASE']}/api/python", timeout=10)
              - uses: actions/github-script@v7
                with:
                  script: |
                    await fetch(`${process.env.WORKER_URL}/api/script`)
              - uses: fjogeleit/http-request-action@v1
                with:
                  url: ${{ secrets.WORKER_URL }}/api/action
        """)
    assert calls(tmp_path) == [
        ("0 3 * * *", "POST", "process.env.WORKER_URL + '/api/node'", "/api/node", "fetch", 8),
        ("0 3 * * *", "GET", "{os.environ['BASE']}/api/python", "/api/python", "requests", 12),
        ("0 3 * * *", "GET", "${process.env.WORKER_URL}/api/script", "/api/script", "fetch", 16),
        ("0 3 * * *", "POST", "${{ secrets.WORKER_URL }}/api/action", "/api/action",
         "http-request-action", 19),
    ]


def test_powershell_on_windows(tmp_path: Path) -> None:
    write(tmp_path, "win.yml", """\
        on:
          schedule:
            - cron: '0 3 * * *'
        env:
          WORKER: https://w.example.dev
        jobs:
          win:
            runs-on: windows-latest
            steps:
              - run: |
                  Invoke-WebRequest -Uri "$env:WORKER/api/win" -Method Post `
                    -Headers @{ Authorization = "Bearer x" }
                  irm https://w.example.dev/api/irm
        """)
    assert calls(tmp_path) == [
        ("0 3 * * *", "POST", "$env:WORKER/api/win", "/api/win", "Invoke-WebRequest", 11),
        ("0 3 * * *", "GET", "https://w.example.dev/api/irm", "/api/irm", "Invoke-RestMethod", 13),
    ]


def test_conditions(tmp_path: Path) -> None:
    write(tmp_path, "gated.yml", """\
        on:
          schedule:
            - cron: '0 * * * *'
            - cron: '0 0 * * *'
          workflow_dispatch:
          push:
        jobs:
          scheduled:
            if: github.event_name == 'schedule'
            runs-on: ubuntu-latest
            steps:
              - run: curl https://w.example.dev/scheduled
          manual:
            if: ${{ github.event_name == 'workflow_dispatch' }}
            runs-on: ubuntu-latest
            steps:
              - run: curl https://w.example.dev/manual
          not-scheduled:
            if: github.event_name != 'schedule'
            runs-on: ubuntu-latest
            steps:
              - run: curl https://w.example.dev/not-scheduled
          either:
            if: github.event_name == 'push' || github.event_name == 'schedule'
            runs-on: ubuntu-latest
            steps:
              - run: curl https://w.example.dev/either
              - if: github.event.schedule == '0 0 * * *'
                run: curl https://w.example.dev/daily-only
              - if: failure()
                run: curl https://w.example.dev/on-failure
          guarded:
            if: github.repository == 'octo/worker'
            runs-on: ubuntu-latest
            steps:
              - run: curl https://w.example.dev/guarded
        """)
    assert [(cron, path) for cron, _, _, path, _, _ in calls(tmp_path)] == [
        ("0 * * * *", "/scheduled"), ("0 0 * * *", "/scheduled"),
        ("0 * * * *", "/either"), ("0 0 * * *", "/either"),
        ("0 0 * * *", "/daily-only"),
        ("0 * * * *", "/guarded"), ("0 0 * * *", "/guarded"),
    ]


def test_workflows_without_schedules(tmp_path: Path) -> None:
    write(tmp_path, "dispatch.yml", """\
        on: workflow_dispatch
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: curl https://w.example.dev/manual
        """)
    write(tmp_path, "push.yml", """\
        on: [push, pull_request]
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: curl https://w.example.dev/ci
        """)
    write(tmp_path, "reusable.yml", """\
        on:
          schedule:
            - cron: '0 0 * * *'
        jobs:
          call:
            uses: ./.github/workflows/dispatch.yml
        """)
    (tmp_path / ".github" / "workflows" / "notes.txt").write_text("curl https://w.example.dev/x")
    write(tmp_path, "empty.yml", "")
    assert external_schedules(tmp_path, "") == ([], [])


def test_no_workflows_directory(tmp_path: Path) -> None:
    assert external_schedules(tmp_path, "") == ([], [])


def test_invalid_yaml(tmp_path: Path) -> None:
    write(tmp_path, "broken.yml", """\
        on:
          schedule:
            - cron: '0 0 * * *'
        jobs:
          j: runs-on: ubuntu-latest
        """)
    write(tmp_path, "ok.yml", """\
        on:
          schedule:
            - cron: '0 0 * * *'
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: curl https://w.example.dev/ok
        """)
    (tmp_path / ".github" / "workflows" / "binary.yml").write_bytes(b"on: \xff\xfe\n")
    found, problems = external_schedules(tmp_path, "")
    assert [s.path for s in found] == ["/ok"]
    assert problems[0].path == ".github/workflows/binary.yml" and problems[0].line == 1
    assert problems[0].message.startswith("workflow cannot be read: ")
    assert problems[1] == WorkflowProblem(".github/workflows/broken.yml", 5,
                                          "workflow is not valid YAML: mapping values are not allowed here")


def test_invalid_cron(tmp_path: Path) -> None:
    write(tmp_path, "crons.yml", """\
        on:
          schedule:
            - cron: '0 0 * * 7L'
            - cron: '0 9 * * 8'
            - cron: ['0 0 * * *']
            - cron: '0 22-2 * * *'
            - cron: '30 5 * * *'
        jobs:
          j:
            runs-on: ubuntu-latest
            steps:
              - run: curl https://w.example.dev/still-read
        """)
    found, problems = external_schedules(tmp_path, "app")
    assert [(s.cron, s.path) for s in found] == [("30 5 * * *", "/still-read")]
    shown = "app/.github/workflows/crons.yml"
    assert problems == [
        WorkflowProblem(shown, 3, "cron `0 0 * * 7L` is invalid: day-of-week `7L` has `L`, a Quartz "
                                  "form that Cloudflare accepts but POSIX cron (GitHub Actions) does not"),
        WorkflowProblem(shown, 4, "cron `0 9 * * 8` is invalid: day-of-week value `8` is out of range 0-7"),
        WorkflowProblem(shown, 5, "schedule entry has no `cron` string"),
        WorkflowProblem(shown, 6, "cron `0 22-2 * * *` is invalid: hour range `22-2` runs backwards; POSIX "
                                  "cron does not wrap around (GitHub rejects it): write it as two ranges"),
    ]


def test_step_names(tmp_path: Path) -> None:
    write(tmp_path, "names.yml", """\
        on:
          schedule:
            - cron: '0 0 * * *'
        jobs:
          keep-warm:
            name: Keep the worker warm
            runs-on: ubuntu-latest
            steps:
              - run: |
                  curl https://w.example.dev/warm
        """)
    found, _ = external_schedules(tmp_path, ".")
    assert (found[0].workflow, found[0].job, found[0].step) == (
        ".github/workflows/names.yml", "keep-warm", "Run curl https://w.example.dev/warm")
