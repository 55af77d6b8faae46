#!/usr/bin/env bash
# A real Temporal server (not the dev server) with PostgreSQL persistence on this machine: the production shape, for
# running the chaos trials or a local stack against it. Prints the frontend address (host:port) on stdout.
#   scripts/start-temporal-postgres.sh [PORT]     build once, start PostgreSQL and the server (frontend PORT, default 7433)
#   scripts/start-temporal-postgres.sh --stop     stop both
# Then, e.g.:  npm run chaos -- --scenario scale-out --temporal-address "$(scripts/start-temporal-postgres.sh)"
#
# The server and its schema tool are built from Go modules (go.temporal.io/server, the version the Temporal CLI 1.5.1
# embeds) into $HR_OKTA_SYNC_CACHE_DIR/temporal-server: minutes on 2 cores the first time, reused after. PostgreSQL is
# a cluster of its own (scripts/start-test-postgres.sh on $HR_OKTA_SYNC_CACHE_DIR/temporal-postgres, port 55434),
# databases `temporal` and `temporal_visibility`, schemas set up with temporal-sql-tool's embedded schemas. The
# namespace `default` is registered with the Temporal CLI (node scripts/provide-temporal-cli.ts finds or builds it).
# Everything listens on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${HR_OKTA_SYNC_CACHE_DIR:-$HOME/.cache/hr-okta-sync}
bin=$cache/temporal-server
dir=$cache/temporal-postgres
pg_port=55434
version=v1.29.1

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$dir/server.pid" ]; then
    pid=$(cat "$dir/server.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/server.pid"
  fi
  scripts/start-test-postgres.sh --stop "$dir/pg" >&2
  exit 0
fi
port=${1:-7433}

if [ ! -x "$bin/server" ] || [ ! -x "$bin/sql" ]; then
  command -v go >/dev/null || { echo "Go is needed to build the Temporal server once (go.temporal.io/server)" >&2; exit 1; }
  echo "Building the Temporal server $version and temporal-sql-tool into $bin (once; minutes)…" >&2
  mkdir -p "$bin"
  (cd "$(mktemp -d)" && GOBIN=$bin go install -trimpath -ldflags "-s -w" \
    "go.temporal.io/server/cmd/server@$version" "go.temporal.io/server/cmd/tools/sql@$version") >&2
fi

mkdir -p "$dir/config/dynamicconfig"
url=$(scripts/start-test-postgres.sh "$dir/pg" "$pg_port")
user=$(echo "$url" | sed -E 's#postgres://([^@]+)@.*#\1#')
sql() { "$bin/sql" --plugin postgres12 --ep 127.0.0.1 -p "$pg_port" -u "$user" "$@"; }
for db in temporal temporal_visibility; do
  schema=$([ "$db" = temporal ] && echo temporal || echo visibility)
  if ! sql --db "$db" create-database >/dev/null 2>&1; then :; fi
  # setup-schema -v 0.0 only creates the version table; update-schema is idempotent (it applies what is missing).
  sql --db "$db" setup-schema -v 0.0 >/dev/null 2>&1 || true
  sql --db "$db" update-schema --schema-name "postgresql/v12/$schema" >>"$dir/schema.log" 2>&1 ||
    { tail -n 20 "$dir/schema.log" >&2; exit 1; }
done

store() {
  cat <<EOF
      sql:
        pluginName: postgres12
        databaseName: $1
        connectAddr: "127.0.0.1:$pg_port"
        connectProtocol: tcp
        user: "$user"
        maxConns: $2
        maxIdleConns: $2
        maxConnLifetime: 1h
EOF
}
service() {
  cat <<EOF
  $1:
    rpc:
      grpcPort: $2
      membershipPort: $(($2 + 100))
      bindOnLocalHost: true
EOF
}
{
  cat <<EOF
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
$(store temporal 20)
    visibility:
$(store temporal_visibility 4)
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
$(service frontend "$port")
      httpPort: $((port + 10))
$(service history $((port + 1)))
$(service matching $((port + 2)))
$(service worker $((port + 3)))
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$port"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "$dir/config/dynamicconfig/development.yaml"
  pollInterval: 10s
EOF
} >"$dir/config/development.yaml"
[ -f "$dir/config/dynamicconfig/development.yaml" ] || echo "{}" >"$dir/config/dynamicconfig/development.yaml"

if ! { [ -f "$dir/server.pid" ] && kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; }; then
  "$bin/server" --root "$dir" --config config --env development --allow-no-auth start >"$dir/server.log" 2>&1 &
  echo $! >"$dir/server.pid"
fi

temporal=$(node scripts/provide-temporal-cli.ts | sed -E 's/^temporal CLI: ([^ ]+).*/\1/')
for _ in $(seq 1 120); do
  "$temporal" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1 && break
  kill -0 "$(cat "$dir/server.pid")" 2>/dev/null || { tail -n 20 "$dir/server.log" >&2; exit 1; }
  sleep 1
done
"$temporal" operator namespace describe --namespace default --address "127.0.0.1:$port" >/dev/null 2>&1 ||
  "$temporal" operator namespace create --namespace default --retention 72h --address "127.0.0.1:$port" >&2
# A new namespace reaches every service's cache within seconds.
for _ in $(seq 1 60); do
  "$temporal" workflow count --namespace default --address "127.0.0.1:$port" >/dev/null 2>&1 && break
  sleep 1
done
echo "127.0.0.1:$port"
