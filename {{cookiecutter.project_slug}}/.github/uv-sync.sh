#!/usr/bin/env bash
# Installs the project for a CI job. Once uv.lock is committed: `uv sync --locked`, so every
# run installs exactly what the lock pins. A fresh project has no lock until someone runs
# `uv lock` and commits it; until then a run resolves afresh with `uv sync` instead of
# failing ("Unable to find lockfile"), and says so on the run's summary page.
# Arguments go to uv sync, e.g. the torch build: --no-group cpu --group cu130.
set -euo pipefail

if [[ -f uv.lock ]]; then
  exec uv sync --locked "$@"
fi
message="No uv.lock is committed, so this run installed the newest versions that \
pyproject.toml allows. Run \`uv lock\` and commit uv.lock: every run then installs the same."
echo "::warning title=uv.lock missing::$message"
echo "$message" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
exec uv sync "$@"
