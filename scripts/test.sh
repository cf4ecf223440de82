#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (`pnpm test`): start the real brokers, the broker
# clusters, the single-node Slurm and Chromium (installing them where missing), then lint, type-check,
# build and check the published entry points, then every package's tests, one package at a time
# (broker tests restart brokers; they must not overlap).
set -euo pipefail
cd "$(dirname "$0")/.."

export TURBO_TELEMETRY_DISABLED=1

bash scripts/brokers.sh start
# Leftover queues of earlier runs hold RabbitMQ's file handles (a few hundred exhaust a default node).
bash scripts/brokers.sh clean
# The Slurm cluster @zocalo/slurm's tests submit jobs to; stopped at the end when this run started it.
slurm_was_running=1
bash scripts/slurm.sh running || slurm_was_running=0
bash scripts/slurm.sh start
trap 'bash scripts/cluster.sh stop || true; if [[ $slurm_was_running -eq 0 ]]; then bash scripts/slurm.sh stop || true; fi' EXIT
# The RabbitMQ cluster and ActiveMQ pair of @zocalo/cluster-proof's fault tests (about 15 s, 1 GB),
# beside the single brokers; stopped by pid at the end.
bash scripts/cluster.sh start
# Debian's Chromium for @zocalo/dashboard's page tests (installed where missing).
bash scripts/chromium.sh
turbo run lint typecheck build --output-logs=errors-only
prettier --check . --log-level warn
node scripts/check-exports.mjs
rm -f packages/*/.jest-results.json examples/*/.jest-results.json
status=0
turbo run test --concurrency=1 --continue -- --json --outputFile=.jest-results.json || status=$?
# Tests leave dead-letter and example queues behind; the next run (or another checkout) starts clean.
bash scripts/brokers.sh clean || true
node scripts/test-summary.mjs || status=1
exit "$status"
