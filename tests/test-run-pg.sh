#!/usr/bin/env bash
# test-run-pg.sh — tools/run's local PostgreSQL: with no [database] conninfo
# and no PG* variable, tools/run makes a cluster in its run directory, starts
# it, and the daemon it runs reports the database up on /readyz; stopping
# tools/run (SIGTERM) stops the daemon and then the cluster; a second run
# reuses the cluster (no initdb). Runs the daemon of build directory $1 from
# source tree $2, in a temporary directory, on loopback ports.
set -euo pipefail
build=$1
source=$2

fail() { echo "FAIL: $*" >&2; exit 1; }

for name in PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGSERVICE; do
  unset "$name"
done

tmp=$(mktemp -d)
chmod 0755 "$tmp"    # the server's account (as root: nobody) reaches into it
run_pid=
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
cleanup() {
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM "$run_pid" 2>/dev/null || true
    wait "$run_pid" 2>/dev/null || true
  fi
  if [ -f "$tmp/run/pg/data/postmaster.pid" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
        "$pg_bin/pg_ctl" -D "$tmp/run/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    else
      "$pg_bin/pg_ctl" -D "$tmp/run/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port outside the ephemeral range (32768-60999) nobody listens on.
free_port() {
  local port
  while :; do
    port=$((61000 + RANDOM % 4000))
    port_taken "$port" || { echo "$port"; return; }
  done
}

sip_port=$(free_port)
http_port=$(free_port)
mkdir -p "$tmp/run/pg"
free_port >"$tmp/run/pg/port"
cat >"$tmp/t.conf" <<EOF
[talkingbits]
plugin-path=
[sip]
listen=127.0.0.1:$sip_port
[http]
listen=127.0.0.1:$http_port
[database]
journal-dir=$tmp/journal
EOF

http_get() {
  exec 3<>"/dev/tcp/127.0.0.1/$http_port"
  printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&3
  cat <&3
  exec 3<&-
}

# Runs tools/run until the daemon is ready; output in $tmp/run-$1.log.
start_run() {
  local log=$tmp/run-$1.log
  TALKINGBITS_RUN_CONFIG=$tmp/t.conf TALKINGBITS_RUN_BUILD=$build TALKINGBITS_RUN_DIR=$tmp/run \
    TALKINGBITS_PLUGIN_PATH= "$source/tools/run" >"$log" 2>&1 &
  run_pid=$!
  for _ in $(seq 600); do
    grep -q ' ready (pid ' "$log" && return
    kill -0 "$run_pid" 2>/dev/null || { cat "$log" >&2; fail "tools/run ended early"; }
    sleep 0.1
  done
  cat "$log" >&2
  fail "the daemon was not ready after 60 s"
}

stop_run() {
  local log=$tmp/run-$1.log status=0
  kill -TERM "$run_pid"
  wait "$run_pid" || status=$?
  run_pid=
  [ "$status" = 0 ] || { cat "$log" >&2; fail "tools/run exited with $status"; }
  grep -q 'tools/run: PostgreSQL stopped' "$log" || { cat "$log" >&2; fail "no stop"; }
  [ ! -f "$tmp/run/pg/data/postmaster.pid" ] || fail "PostgreSQL still runs after tools/run"
}

check_ready() {
  local reply
  reply=$(http_get /readyz)
  echo "$reply" | grep -q '^HTTP/1.[01] 200' || fail "/readyz: $reply"
  echo "$reply" | grep -q '"database":"up"' || fail "/readyz: $reply"
}

start_run first
grep -q 'creating a PostgreSQL cluster' "$tmp/run-first.log" || fail "no cluster was made"
grep -q "PGHOST=$tmp/run/pg " "$tmp/run-first.log" || fail "the conninfo is not printed"
check_ready
stop_run first

start_run second
if grep -q 'creating a PostgreSQL cluster' "$tmp/run-second.log"; then
  fail "the cluster was made again instead of reused"
fi
check_ready
stop_run second
echo "tools/run made, started, reused and stopped its PostgreSQL cluster"
