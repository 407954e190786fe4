#!/usr/bin/env bash
# Build and package hrform for one target: dist/hrform-<version>-<target>.tar.gz
# (a directory hrform-<version>-<target>/ holding the binary, the README, the
# changelog and the licences) and its line in dist/SHA256SUMS. The release
# workflow runs it per target and merges the SHA256SUMS lines; .ci/run runs
# it for the host and checks the sums with `sha256sum -c`.
#
# Usage: scripts/package.sh TARGET [DIST_DIR]
#   HRFORM_BINARY=path           package this binary instead of building one
#   HRFORM_PACKAGE_VERSION=x.y.z the version in the names (default Cargo.toml's)
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:?usage: scripts/package.sh TARGET [DIST_DIR]}"
dist="${2:-dist}"
version="${HRFORM_PACKAGE_VERSION:-$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)}"
[ -n "$version" ] || { echo "package: no version in Cargo.toml" >&2; exit 1; }
name="hrform-$version-$target"

if [ -n "${HRFORM_BINARY:-}" ]; then
  binary="$HRFORM_BINARY"
else
  cargo build --release --locked -p hrform --target "$target"
  binary="target/$target/release/hrform"
fi

mkdir -p "$dist"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/$name"
install -m 0755 "$binary" "$stage/$name/hrform"
cp README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE "$stage/$name/"

archive="$name.tar.gz"
# Reproducible where GNU tar is there: fixed order, owner and time.
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
  mtime="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" \
    -C "$stage" -cf - "$name" | gzip -n >"$dist/$archive"
else
  tar -C "$stage" -cf - "$name" | gzip -n >"$dist/$archive"
fi

if command -v sha256sum >/dev/null 2>&1; then
  sum="$(cd "$dist" && sha256sum "$archive")"
else
  sum="$(cd "$dist" && shasum -a 256 "$archive")"
fi
# One line per archive: replace this archive's line, keep the others.
touch "$dist/SHA256SUMS"
{ grep -v "  $archive\$" "$dist/SHA256SUMS" || true; echo "$sum"; } | sort -k2 >"$dist/SHA256SUMS.new"
mv "$dist/SHA256SUMS.new" "$dist/SHA256SUMS"
echo "$dist/$archive"
