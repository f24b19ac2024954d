#!/usr/bin/env bash
# Install everything the tests need into .venv and run the whole suite:
# ruff (lint and format), mypy --strict, the import-linter contracts, then
# pytest on SQLite and on PostgreSQL (127.0.0.1:5432, user postgres). With
# CI=true an unreachable PostgreSQL fails the run instead of skipping.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'

# Browser tests drive Debian's Chromium (never a downloaded browser); the PDF tests render
# and read pages with poppler (pdftoppm, pdftotext); bench.http's smoke test drives the server with wrk.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/pdftoppm ] || missing+=(poppler-utils)
[ -x /usr/bin/wrk ] || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's ${missing[*]} for the browser, PDF and bench tests"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The distributed end-of-day tests need RabbitMQ (127.0.0.1:5672); the machine starts it, but a
# stopped one is started again here (CI fails those tests rather than skip them).
if command -v rabbitmq-server >/dev/null 2>&1 && [ "$(id -u)" = 0 ] \
  && ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  echo "starting RabbitMQ"
  rabbitmq-server -detached || true
  for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && break; sleep 1; done
fi

echo "== ruff"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
echo "== mypy --strict"
.venv/bin/mypy
echo "== import contracts"
.venv/bin/lint-imports
echo "== pytest (SQLite and PostgreSQL)"
# loadgroup: tests that share one expensive module fixture (xdist_group) stay on one worker.
.venv/bin/pytest -n "${FAIRLEND_TEST_WORKERS:-auto}" --dist loadgroup "$@"
