#!/usr/bin/env bash
# A loopback Vitess cluster over Quarry shards:
#   etcd (topology) · vtctld · 2 shards of keyspace "commerce" (-80, 80-),
#   each one Quarry instance fronted by an unmanaged vttablet · vtgate.
# The orders table is sharded by a hash vindex on user_id.
#
#   deploy/vitess/cluster.sh up       # build what is missing, start, load the schema
#   deploy/vitess/cluster.sh status
#   deploy/vitess/cluster.sh down     # stop everything (data kept in $VT_DIR)
#   deploy/vitess/cluster.sh clean    # down, then remove $VT_DIR
#
# Clients connect to vtgate: mariadb -h127.0.0.1 -P15306 -uroot commerce
# Each shard's Quarry is on 127.0.0.1:17100 (-80) and :17200 (80-), user root,
# password $QUARRY_PASSWORD.
#
# Vitess refuses to run as root, so as root its processes drop to nobody
# (setpriv); Quarry runs as the invoking user.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
VT_DIR=${VT_DIR:-/tmp/quarry-vitess}
export VTDATAROOT=$VT_DIR/vt
QUARRY_PASSWORD=${QUARRY_PASSWORD:-vtpass}
CELL=zone1
KEYSPACE=commerce
ETCD_PORT=${ETCD_PORT:-12379}
VTCTLD_WEB=15000 VTCTLD_GRPC=15999
VTGATE_MYSQL=${VTGATE_MYSQL:-15306} VTGATE_WEB=15001 VTGATE_GRPC=15991
SHARDS=("-80" "80-")
UIDS=(100 200)

topo=(--topo-implementation etcd2 --topo-global-server-address "127.0.0.1:$ETCD_PORT" --topo-global-root /vitess/global)

log() { echo "[cluster] $*" >&2; }
die() { log "$*"; exit 1; }

as_vitess=()
[ "$(id -u)" -eq 0 ] && as_vitess=(setpriv --reuid=65534 --regid=65534 --clear-groups --)

wait_http() { # url what
  for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  die "$2 did not come up ($1); see $VT_DIR/logs"
}

wait_mysql() { # port password what
  for _ in $(seq 1 300); do
    mariadb -h127.0.0.1 -P"$1" -uroot ${2:+-p"$2"} -e "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "$3 does not accept MySQL connections on $1; see $VT_DIR/logs"
}

start_bg() { # name cmd...
  local name=$1; shift
  "$@" >"$VT_DIR/logs/$name.log" 2>&1 &
  echo $! >"$VT_DIR/pids/$name.pid"
}

vtctl() { "${as_vitess[@]}" "$VTBIN/vtctldclient" --server "127.0.0.1:$VTCTLD_GRPC" "$@"; }

up() {
  command -v etcd >/dev/null || die "etcd is missing: apt-get install -y etcd-server"
  command -v mariadb >/dev/null || die "the mariadb client is missing: apt-get install -y mariadb-client"
  mkdir -p "$VT_DIR"/{logs,pids,etcd,vt,bin}
  # The build cache may be under root's 0700 home: copy the binaries where
  # the unprivileged user can run them.
  local built; built=$("$here/build.sh")
  VTBIN=$VT_DIR/bin
  for c in vtgate vttablet vtctld vtctldclient; do
    [ "$VTBIN/$c" -nt "$built/$c" ] || cp "$built/$c" "$VTBIN/$c"
  done
  chmod 755 "$VT_DIR" "$VTBIN"
  [ "$(id -u)" -eq 0 ] && chown -R 65534:65534 "$VT_DIR/vt" "$VT_DIR/etcd" "$VT_DIR/logs"
  chmod 777 "$VT_DIR/logs"
  log "building quarry"
  (cd "$repo" && go build -o "$VT_DIR/bin/quarry" ./cmd/quarry)

  log "etcd on 127.0.0.1:$ETCD_PORT"
  start_bg etcd "${as_vitess[@]}" etcd --data-dir "$VT_DIR/etcd" --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-cluster "default=http://127.0.0.1:$((ETCD_PORT + 1))"
  wait_http "http://127.0.0.1:$ETCD_PORT/health" etcd

  log "vtctld"
  start_bg vtctld "${as_vitess[@]}" "$VTBIN/vtctld" "${topo[@]}" --cell "$CELL" --service-map grpc-vtctl,grpc-vtctld \
    --backup-storage-implementation file --file-backup-storage-root "$VT_DIR/vt/backups" \
    --port "$VTCTLD_WEB" --grpc-port "$VTCTLD_GRPC" --log-format text
  wait_http "http://127.0.0.1:$VTCTLD_WEB/debug/status" vtctld
  vtctl GetCellInfo "$CELL" >/dev/null 2>&1 ||
    vtctl AddCellInfo --root "/vitess/$CELL" --server-address "127.0.0.1:$ETCD_PORT" "$CELL"
  vtctl GetKeyspace "$KEYSPACE" >/dev/null 2>&1 || vtctl CreateKeyspace "$KEYSPACE" >/dev/null

  for i in 0 1; do
    local uid=${UIDS[$i]} shard=${SHARDS[$i]}
    local qport=$((17000 + uid)) alias
    printf -v alias '%s-%010d' "$CELL" "$uid"
    log "quarry for shard $shard on 127.0.0.1:$qport"
    start_bg "quarry-$uid" env QUARRY_ROOT_PASSWORD="$QUARRY_PASSWORD" "$VT_DIR/bin/quarry" serve \
      --data-dir "$VT_DIR/quarry-$uid" --listen "127.0.0.1:$qport" --metrics-listen "127.0.0.1:$((19000 + uid))"
    wait_mysql "$qport" "$QUARRY_PASSWORD" "quarry-$uid"
    mariadb -h127.0.0.1 -P"$qport" -uroot -p"$QUARRY_PASSWORD" -e "CREATE DATABASE IF NOT EXISTS $KEYSPACE"

    log "vttablet $alias (unmanaged) for shard $shard"
    local dbflags=()
    for u in app dba allprivs filtered repl appdebug; do
      dbflags+=(--db-$u-user root --db-$u-password "$QUARRY_PASSWORD")
    done
    start_bg "vttablet-$uid" "${as_vitess[@]}" "$VTBIN/vttablet" "${topo[@]}" --unmanaged \
      --tablet-path "$alias" --tablet-hostname 127.0.0.1 --init-keyspace "$KEYSPACE" --init-shard "$shard" \
      --init-tablet-type replica --init-db-name-override "$KEYSPACE" \
      --db-host 127.0.0.1 --db-port "$qport" "${dbflags[@]}" \
      --port "$((15000 + uid))" --grpc-port "$((16000 + uid))" \
      --service-map grpc-queryservice,grpc-tabletmanager,grpc-updatestream \
      --health-check-interval 2s --queryserver-config-schema-reload-time 5s \
      --log-queries-to-file "$VT_DIR/logs/vttablet-$uid-queries.log" --log-format text
    wait_http "http://127.0.0.1:$((15000 + uid))/debug/status" "vttablet $alias"
    vtctl TabletExternallyReparented "$alias" >/dev/null
  done

  log "vschema: orders sharded by hash(user_id)"
  vtctl ApplyVSchema --vschema-file "$here/vschema.json" "$KEYSPACE" >/dev/null

  log "vtgate on 127.0.0.1:$VTGATE_MYSQL"
  start_bg vtgate "${as_vitess[@]}" "$VTBIN/vtgate" "${topo[@]}" --cell "$CELL" --cells-to-watch "$CELL" \
    --tablet-types-to-wait PRIMARY --service-map grpc-vtgateservice \
    --port "$VTGATE_WEB" --grpc-port "$VTGATE_GRPC" --mysql-server-port "$VTGATE_MYSQL" \
    --mysql-server-bind-address 127.0.0.1 --mysql-auth-server-impl none \
    --log-format text
  wait_http "http://127.0.0.1:$VTGATE_WEB/debug/status" vtgate
  wait_mysql "$VTGATE_MYSQL" "" vtgate

  log "schema through vtgate (every shard gets the DDL)"
  mariadb -h127.0.0.1 -P"$VTGATE_MYSQL" -uroot "$KEYSPACE" <"$here/schema.sql"
  log "up: mariadb -h127.0.0.1 -P$VTGATE_MYSQL -uroot $KEYSPACE"
}

down() {
  [ -d "$VT_DIR/pids" ] || return 0
  for name in vtgate vttablet-200 vttablet-100 quarry-200 quarry-100 vtctld etcd; do
    local f="$VT_DIR/pids/$name.pid"
    [ -f "$f" ] || continue
    local pid; pid=$(cat "$f")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  # setpriv and env exec, so each recorded pid is the server process itself.
  log "down"
}

status() {
  for f in "$VT_DIR"/pids/*.pid; do
    [ -f "$f" ] || continue
    local name; name=$(basename "$f" .pid)
    if kill -0 "$(cat "$f")" 2>/dev/null; then echo "$name running"; else echo "$name STOPPED"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  clean) down; rm -rf "$VT_DIR" ;;
  *) echo "usage: $0 up|down|status|clean" >&2; exit 2 ;;
esac
