#!/usr/bin/env bash
# sysbench oltp_point_select through vtgate (2 Quarry shards) against a single
# Quarry, same machine, same table size. Needs a running cluster
# (cluster.sh up) and sysbench (apt-get install -y sysbench).
#
#   deploy/vitess/bench.sh [table_size] [seconds] [threads]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
VT_DIR=${VT_DIR:-/tmp/quarry-vitess}
size=${1:-10000} secs=${2:-10} threads=${3:-4}
command -v sysbench >/dev/null || { echo "sysbench is missing: apt-get install -y sysbench" >&2; exit 1; }
[ -x "$VT_DIR/bin/quarry" ] || { echo "no cluster in $VT_DIR: run cluster.sh up first" >&2; exit 1; }

sb() { # port user password action
  sysbench oltp_point_select --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port="$1" \
    --mysql-user="$2" --mysql-password="$3" --mysql-db=commerce --tables=1 --table-size="$size" \
    --threads="$threads" --time="$secs" --report-interval=0 --db-ps-mode=disable "$4"
}
qps() { awk '/queries:/ {gsub(/[()]/,""); print $3; exit}'; }
p95() { awk '/95th percentile:/ {print $3; exit}'; }

single_dir=$VT_DIR/single
single_port=17300
"$VT_DIR/bin/quarry" serve --data-dir "$single_dir" --listen "127.0.0.1:$single_port" \
  --metrics-listen 127.0.0.1:19300 >"$VT_DIR/logs/quarry-single.log" 2>&1 &
single=$!
trap 'kill $single 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do mariadb -h127.0.0.1 -P$single_port -uroot -e "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1; done
mariadb -h127.0.0.1 -P$single_port -uroot -e "DROP DATABASE IF EXISTS commerce; CREATE DATABASE commerce"

mariadb -h127.0.0.1 -P15306 -uroot commerce -e "DROP TABLE IF EXISTS sbtest1" >/dev/null
sb 15306 root "" prepare >/dev/null
sb $single_port root "" prepare >/dev/null

out_gate=$(sb 15306 root "" run)
out_single=$(sb $single_port root "" run)
printf "%-34s %10s %10s\n" "oltp_point_select ($size rows, $threads threads, ${secs}s)" QPS "p95 ms"
printf "%-34s %10s %10s\n" "vtgate, 2 Quarry shards" "$(echo "$out_gate" | qps)" "$(echo "$out_gate" | p95)"
printf "%-34s %10s %10s\n" "single Quarry" "$(echo "$out_single" | qps)" "$(echo "$out_single" | p95)"
