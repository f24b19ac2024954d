#!/usr/bin/env bash
# Audit the installed dependencies for known vulnerabilities (pip-audit). Needs the internet: it asks
# PyPI's JSON API (default) or OSV (`scripts/pip-audit.sh -s osv`) about each package. --strict makes a
# package it could not look up an error: without it, an offline run skips every package and still
# prints "No known vulnerabilities found" with exit 0. Run by hand or in a job with network access;
# it is not part of .ci/run, which has none.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev,audit]'
exec .venv/bin/pip-audit --strict --skip-editable --progress-spinner off "$@"
