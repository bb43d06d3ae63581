#!/usr/bin/env bash
# Installs what the client tests in conformance/clients need, idempotently:
# Debian packages (mariadb CLI and mysqldump, Python drivers and ORMs, JDBC
# driver and a JDK, Node.js) and the Node packages pinned in
# node/package-lock.json. Quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")"

pkgs=(mariadb-client python3 python3-pymysql python3-mysqldb python3-sqlalchemy python3-django libmariadb-java)
command -v javac >/dev/null || pkgs+=(default-jdk-headless)
command -v node >/dev/null || pkgs+=(nodejs npm)
command -v npm >/dev/null || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci only when node_modules was not installed from this lock file.
sum=$(sha256sum node/package-lock.json | cut -d' ' -f1)
if [ "$(cat node/node_modules/.quarry-lock-sha256 2>/dev/null)" != "$sum" ]; then
  (cd node && npm ci --no-audit --no-fund --loglevel=error)
  echo "$sum" > node/node_modules/.quarry-lock-sha256
fi
