#!/usr/bin/env bash
# Builds (or reuses) the Vitess v0.24.0 binaries that the scale-out cluster
# runs: vtgate, vttablet, vtctld, vtctldclient. `go install ...@v0.24.0`
# cannot work (the module proxy refuses the version list it needs), so a
# throwaway wrapper module requires vitess.io/vitess and builds the commands.
# Quarry itself never imports vitess.io/vitess.
#
#   deploy/vitess/build.sh            # prints the bin directory
#   VITESS_DIR=/opt/vt deploy/vitess/build.sh
#
# About 7 minutes on 2 cores the first time; instant when the binaries exist.
set -euo pipefail
version=v0.24.0
dir=${VITESS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/quarry/vitess-$version}
bin=$dir/bin
cmds=(vtgate vttablet vtctld vtctldclient)
have=1
for c in "${cmds[@]}"; do [ -x "$bin/$c" ] || have=0; done
if [ $have = 1 ]; then echo "$bin"; exit 0; fi

mkdir -p "$dir/src" "$bin"
cd "$dir/src"
cat > go.mod <<MOD
module quarry.local/vitessbuild

go 1.26

require vitess.io/vitess $version
MOD
cat > tools.go <<'GO'
//go:build tools

// Package vitessbuild pins the Vitess commands the Quarry cluster runs.
package vitessbuild

import (
	_ "vitess.io/vitess/go/cmd/vtctld"
	_ "vitess.io/vitess/go/cmd/vtctldclient"
	_ "vitess.io/vitess/go/cmd/vtgate"
	_ "vitess.io/vitess/go/cmd/vttablet"
)
GO
echo "building Vitess $version commands in $dir (several minutes)..." >&2
GOFLAGS=-mod=mod go mod tidy -e >&2 || true
GOFLAGS=-mod=mod go get vitess.io/vitess@$version >&2
for c in "${cmds[@]}"; do
  GOFLAGS=-mod=mod go build -o "$bin/$c" vitess.io/vitess/go/cmd/$c >&2
done
echo "$bin"
