#!/usr/bin/env bash
# `make demo`: start the embedded stack in the background (or reuse a running one), register
# the example project, run its main workflow on Ray and show the outputs. The stack keeps
# running afterwards so you can explore it; `make stop` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

home="${GRAVEN_HOME:-$PWD/.graven}"
port="${GRAVEN_GRPC_PORT:-8089}"
export GRAVEN_ENDPOINT="127.0.0.1:$port"
# The CLI calls with the token `graven up` writes into this home (<home>/token, 0600).
export GRAVEN_HOME="$home"
mkdir -p "$home"

if graven get workflows >/dev/null 2>&1; then
  echo "Using the Graven already running at $GRAVEN_ENDPOINT"
else
  echo "Starting the embedded stack (home: $home, log: $home/graven.log)…"
  nohup graven up --home "$home" --grpc-port "$port" >"$home/graven.log" 2>&1 &
  echo $! >"$home/graven.pid"
  for _ in $(seq 1 600); do
    grep -q '^ready$' "$home/graven.log" 2>/dev/null && break
    if ! kill -0 "$(cat "$home/graven.pid")" 2>/dev/null; then
      echo "graven up exited:" >&2
      cat "$home/graven.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  grep -q '^ready$' "$home/graven.log" || { echo "graven up did not become ready" >&2; exit 1; }
fi

echo
echo "\$ graven register examples/wordcount"
graven register examples/wordcount
echo
echo "\$ graven get workflows wordcount.workflows.wordcount"
graven get workflows wordcount.workflows.wordcount
echo
corpus="the quick brown fox jumps over the lazy dog and the quick cat naps"
echo "\$ graven run examples/wordcount:wordcount --corpus \"$corpus\" --top 3"
graven run examples/wordcount:wordcount --corpus "$corpus" --top 3
execution="$(graven executions list --limit 1 --json | python -c 'import json,sys; print(json.load(sys.stdin)[0]["id"]["name"])')"
echo
cat <<MSG
Graven is running at $GRAVEN_ENDPOINT (gRPC). Next:
  export GRAVEN_ENDPOINT=$GRAVEN_ENDPOINT GRAVEN_HOME=$home   # the CLI reads \$GRAVEN_HOME/token
  graven executions get $execution       # nodes, attempts, outputs
  graven relaunch $execution --wait      # the same version and inputs again
  graven versions workflows wordcount.workflows.wordcount
Stop it with: make stop
MSG
