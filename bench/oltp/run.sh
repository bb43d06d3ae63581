#!/bin/sh
# Runs the sysbench OLTP comparison of Quarry with MariaDB (see main.go).
# Installs sysbench and mariadb-server from Debian when they are missing.
# Usage: bench/oltp/run.sh [-table-size 1000000] [-rounds 3] [-time 10] ...
set -eu
cd "$(dirname "$0")/../.."
need=""
command -v sysbench >/dev/null 2>&1 || need="$need sysbench"
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need="$need mariadb-server"
if [ -n "$need" ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends $need
fi
exec go run ./bench/oltp "$@"
