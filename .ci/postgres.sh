#!/usr/bin/env bash
# Sourced by .ci/run: makes sure Debian's PostgreSQL is installed, starts a throw-away
# cluster under a temporary folder (on 127.0.0.1, a free port, trust authentication,
# owned by an unprivileged user since PostgreSQL refuses to run as root), and exports
# its URL as SIYU_TEST_POSTGRES for the ledger tests. The cluster stops when the shell
# that sourced this exits.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "== installing postgresql"
  sudo_if_needed=""
  if [ "$(id -u)" != 0 ]; then sudo_if_needed="sudo"; fi
  $sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq postgresql >/dev/null
fi
pg_bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
pg_dir="$(mktemp -d /tmp/siyu-pg.XXXXXX)"
pg_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_owner=()
if [ "$(id -u)" = 0 ]; then
  id siyu-ci >/dev/null 2>&1 || useradd --system --no-create-home siyu-ci
  chown siyu-ci "$pg_dir"
  as_owner=(runuser -u siyu-ci --)
fi
"${as_owner[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U siyu --auth=trust -E UTF8 --no-locale >/dev/null
"${as_owner[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $pg_dir -c fsync=off" start >/dev/null
"$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U siyu siyu
SIYU_TEST_POSTGRES="postgres://siyu@127.0.0.1:$pg_port/siyu"
export SIYU_TEST_POSTGRES
stop_postgres() {
  "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap stop_postgres EXIT
echo "== postgresql: $("$pg_bin/postgres" --version) on 127.0.0.1:$pg_port"
