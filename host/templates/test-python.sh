#!/bin/sh
# Builds the plugin and runs its command with `hearth plugin run` against a fresh data root
# holding user alice with one 5000-byte file; fails unless the report shows that file.
set -eu
cd "$(dirname "$0")"
./build.sh
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
hearth --data-dir "$data/var" init --admin-password 'Adm1n-pass-word' >/dev/null
hearth --data-dir "$data/var" call v-add-user alice 'Str0ng-pass-word' alice@example.com
mkdir -p "$data/var/home/alice/site"
head -c 5000 /dev/zero >"$data/var/home/alice/site/big"
out=$(hearth --data-dir "$data/var" plugin run plugin.wasm "$COMMAND" alice csv)
echo "$out"
echo "$out" | grep -q "$EXPECT"
echo "test passed"
