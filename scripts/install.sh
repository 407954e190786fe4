#!/usr/bin/env bash
# Install a released hrform binary: download the archive for this machine
# and the release's SHA256SUMS, verify the archive's SHA-256 BEFORE
# anything is extracted or run, then unpack the binary into a per-version
# tool directory (reused when it is already there and verified) and run
# `hrform --version`. Used by the GitHub Action (action.yml); runnable on
# its own.
#
# Env:
#   HRFORM_VERSION      the release, e.g. 0.1.0 (required)
#   HRFORM_BASE_URL     where the release's files are (default: the GitHub
#                       release v$HRFORM_VERSION of $HRFORM_REPOSITORY)
#   HRFORM_REPOSITORY   owner/name (default your-org/hrform)
#   HRFORM_SHA256       optional: the archive's expected SHA-256, pinned by
#                       the caller (then SHA256SUMS must agree with it too)
#   HRFORM_TARGET       the Rust target triple (default: this machine's)
#   HRFORM_INSTALL_DIR  where to put the binary (default: the runner's tool
#                       cache, else ~/.cache/hrform, per version and target)
# Prints the binary's directory on stdout; adds it to $GITHUB_PATH when set.
set -euo pipefail

die() {
  echo "hrform install: $*" >&2
  exit 1
}

version="${HRFORM_VERSION:?HRFORM_VERSION must be set (e.g. 0.1.0)}"
version="${version#v}"
case "$version" in
  *[!0-9A-Za-z.+-]* | "") die "not a version: $version" ;;
esac

if [ -z "${HRFORM_TARGET:-}" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) HRFORM_TARGET=x86_64-unknown-linux-gnu ;;
    Linux-aarch64 | Linux-arm64) HRFORM_TARGET=aarch64-unknown-linux-gnu ;;
    Darwin-x86_64) HRFORM_TARGET=x86_64-apple-darwin ;;
    Darwin-arm64 | Darwin-aarch64) HRFORM_TARGET=aarch64-apple-darwin ;;
    *) die "no hrform release for $(uname -s) $(uname -m) (hrform is Unix-only: Linux and macOS)" ;;
  esac
fi
target="$HRFORM_TARGET"
base="${HRFORM_BASE_URL:-https://github.com/${HRFORM_REPOSITORY:-your-org/hrform}/releases/download/v$version}"
base="${base%/}"
name="hrform-$version-$target"
archive="$name.tar.gz"
dest="${HRFORM_INSTALL_DIR:-${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}/hrform/$version/$target}"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

lower() { tr 'A-F' 'a-f'; }

publish() {
  if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$dest" >>"$GITHUB_PATH"
  fi
  "$dest/hrform" --version >&2
  echo "$dest"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {
  curl -fsSL --retry 3 -o "$2" "$1" || die "cannot download $1"
}

fetch "$base/SHA256SUMS" "$work/SHA256SUMS"
# The line for exactly this archive: "<64 hex>  <name>" (or " *<name>").
expected="$(awk -v f="$archive" '($2 == f || $2 == "*" f) && $1 ~ /^[0-9A-Fa-f]+$/ && length($1) == 64 { print $1; exit }' "$work/SHA256SUMS" | lower)"
[ -n "$expected" ] || die "SHA256SUMS at $base lists no $archive"
if [ -n "${HRFORM_SHA256:-}" ]; then
  pinned="$(printf '%s' "$HRFORM_SHA256" | lower)"
  [ "$pinned" = "$expected" ] || die "SHA256SUMS says $expected for $archive, the pinned checksum is $pinned: refusing"
fi

# Already installed and verified by an earlier run (the tool cache)?
if [ -x "$dest/hrform" ] && [ "$(cat "$dest/.archive-sha256" 2>/dev/null)" = "$expected" ]; then
  echo "hrform install: $name already in $dest" >&2
  publish
  exit 0
fi

fetch "$base/$archive" "$work/$archive"
actual="$(sha256_of "$work/$archive")"
if [ "$actual" != "$expected" ]; then
  die "checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual: refusing (nothing extracted or run)"
fi

mkdir "$work/x"
tar -xzf "$work/$archive" -C "$work/x"
[ -f "$work/x/$name/hrform" ] && [ ! -L "$work/x/$name/hrform" ] || die "$archive holds no $name/hrform"
mkdir -p "$dest"
install -m 0755 "$work/x/$name/hrform" "$dest/hrform.new"
mv -f "$dest/hrform.new" "$dest/hrform"
printf '%s\n' "$expected" >"$dest/.archive-sha256"
echo "hrform install: $name verified (sha256 $expected) and installed in $dest" >&2
publish
