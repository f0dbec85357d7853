#!/usr/bin/env bash
# Regenerates patches/nice-plug.diff: the patched copies against the registry sources of
# nice-plug 0.4.2 and nice-plug-core 0.4.2 (after `cargo fetch`, they are in cargo's registry
# cache). Timestamps are dropped so the file only changes when the patch does.
set -euo pipefail
cd "$(dirname "$0")"
registry=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/nice-plug-0.4.2 | head -n1)
registry=$(dirname "$registry")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/registry" "$tmp/patches"
for crate in nice-plug nice-plug-core; do
  cp -a "$registry/$crate-0.4.2" "$tmp/registry/$crate"
  rm -f "$tmp/registry/$crate/.cargo-ok" "$tmp/registry/$crate/.cargo_vcs_info.json"
  cp -a "$crate" "$tmp/patches/$crate"
  rm -rf "$tmp/patches/$crate/target"
done
cd "$tmp"
{
  diff -ruN registry/nice-plug-core patches/nice-plug-core || true
  diff -ruN registry/nice-plug patches/nice-plug || true
} | sed -E 's/^((---|\+\+\+) [^\t]+)\t.*$/\1/' >"$OLDPWD/nice-plug.diff"
echo "wrote patches/nice-plug.diff ($(grep -c '^+++ ' "$OLDPWD/nice-plug.diff") files)"
