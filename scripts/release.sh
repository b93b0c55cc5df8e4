#!/usr/bin/env bash
# Builds the provider in release mode and writes into DIST_DIR the files the Terraform
# registry takes in for version V (the crate's version, the single source of it):
#
#   terraform-provider-entra_V_OS_ARCH.zip     one per platform, holding terraform-provider-entra_vV
#                                              (with .exe on Windows, which Terraform requires)
#   terraform-provider-entra_V_manifest.json   protocol version 5.0
#   terraform-provider-entra_V_SHA256SUMS      over every zip of version V in DIST_DIR and the manifest
#   terraform-provider-entra_V_SHA256SUMS.sig  binary detached signature, when GPG_FINGERPRINT is set
#
# Platforms: the host, plus every Rust target triple in RELEASE_TARGETS (space or comma
# separated; each needs `rustup target add` and, when cross-compiling, a linker). Zips of
# version V already in DIST_DIR (built on other machines) are summed and signed too: that
# is how the release workflow gathers all platforms into one signed SHA256SUMS.
# The signing key comes from the keyring in GNUPGHOME (default ~/.gnupg).
#
# Reproducible: the same commit and toolchain give the same zip bytes (fixed file time,
# mode and name; no extra zip attributes). The file time is SOURCE_DATE_EPOCH, else the
# time of the last commit.
set -euo pipefail

readonly PACKAGE=terraform-provider-entra
readonly BIN=terraform-provider-entra

die() { printf 'release.sh: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "\`$1\` is not installed; $2"; }

{ [ $# -eq 1 ] && [ -n "$1" ]; } || die "usage: scripts/release.sh DIST_DIR  (env: RELEASE_TARGETS, GPG_FINGERPRINT, GNUPGHOME, SOURCE_DATE_EPOCH)"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$1"
dist="$(cd "$1" && pwd)"
# zip reads default options from these; none must change the archive.
unset ZIP ZIPOPT

# --- tools, keys and targets, checked before the (long) build -------------------------
need cargo "install Rust: https://rustup.rs"
need zip "install it (apt-get install zip, brew install zip, choco install zip)"
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | awk '{print $1}'; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | awk '{print $1}'; }
else
  die "neither \`sha256sum\` nor \`shasum\` is installed (coreutils or perl provides one)"
fi
if [ -n "${GPG_FINGERPRINT:-}" ]; then
  need gpg "install GnuPG (apt-get install gpg, brew install gnupg) or leave GPG_FINGERPRINT unset"
  gpg --batch --list-secret-keys "$GPG_FINGERPRINT" >/dev/null 2>&1 ||
    die "GPG_FINGERPRINT=$GPG_FINGERPRINT names no secret key in the keyring ${GNUPGHOME:-$HOME/.gnupg}: import the key (gpg --import) or fix the fingerprint"
fi

host="$(rustc -vV | sed -n 's/^host: //p')"
[ -n "$host" ] || die "cannot read the host target from \`rustc -vV\`"
installed_targets() {
  if command -v rustup >/dev/null 2>&1; then
    rustup target list --installed
  else
    ls "$(rustc --print sysroot)/lib/rustlib" 2>/dev/null
  fi
}
targets=()
for t in ${RELEASE_TARGETS:+${RELEASE_TARGETS//,/ }}; do
  [ "$t" = "$host" ] && continue
  installed_targets | grep -qxF "$t" ||
    die "the Rust standard library for target $t is not installed: run \`rustup target add $t\` (RELEASE_TARGETS=$RELEASE_TARGETS)"
  targets+=("$t")
done

# Terraform's OS_ARCH for a Rust target triple.
platform_of() {
  local arch os
  case "$1" in
    x86_64-*) arch=amd64 ;;
    aarch64-*) arch=arm64 ;;
    i686-* | i586-*) arch=386 ;;
    arm*) arch=arm ;;
    *) die "no Terraform architecture for target $1" ;;
  esac
  case "$1" in
    *-linux-*) os=linux ;;
    *-apple-darwin) os=darwin ;;
    *-windows-*) os=windows ;;
    *-freebsd) os=freebsd ;;
    *) die "no Terraform operating system for target $1" ;;
  esac
  printf '%s_%s' "$os" "$arch"
}

# --- version, target directory, file time ----------------------------------------------
pkgid="$(cargo pkgid --manifest-path "$root/Cargo.toml" -p "$PACKAGE")"
version="${pkgid##*[#@]}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "cannot read the crate version from \`cargo pkgid\`: $pkgid"
target_dir="$(cargo metadata --manifest-path "$root/Cargo.toml" --no-deps --format-version 1 |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p' | sed 's/\\\\/\\/g')"
[ -n "$target_dir" ] || die "cannot read target_directory from \`cargo metadata\`"

epoch="${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || true)}"
[[ "$epoch" =~ ^[0-9]+$ ]] || die "set SOURCE_DATE_EPOCH (seconds): there is no git commit to take the file time from"
# touch -t takes [[CC]YY]MMDDhhmm[.SS] on GNU and BSD alike; GNU date takes -d, BSD date -r.
stamp="$(TZ=UTC date -d "@$epoch" +%Y%m%d%H%M.%S 2>/dev/null || TZ=UTC date -r "$epoch" +%Y%m%d%H%M.%S)"

# --- build and package --------------------------------------------------------------------
prefix="${PACKAGE}_${version}"
stage="$(mktemp -d "${TMPDIR:-/tmp}/entra-release.XXXXXX")"
trap 'rm -rf "$stage"' EXIT

# package TRIPLE BINARY: writes the platform's zip.
package() {
  local platform exe="" name zip_path
  platform="$(platform_of "$1")"
  case "$1" in *-windows-*) exe=.exe ;; esac
  name="${BIN}_v${version}${exe}"
  zip_path="$dist/${prefix}_${platform}.zip"
  rm -rf "${stage:?}/$platform" "$zip_path"
  mkdir -p "$stage/$platform"
  cp "$2" "$stage/$platform/$name"
  chmod 0755 "$stage/$platform/$name"
  TZ=UTC touch -t "$stamp" "$stage/$platform/$name"
  (cd "$stage/$platform" && TZ=UTC zip -q -X -9 "$zip_path" "$name")
  echo "wrote $zip_path"
}

build() { cargo build --release --locked --manifest-path "$root/Cargo.toml" -p "$PACKAGE" --bin "$BIN" "$@"; }

echo "== $PACKAGE $version for $host${targets[*]+ ${targets[*]}}"
build
host_exe=""
case "$host" in *-windows-*) host_exe=.exe ;; esac
package "$host" "$target_dir/release/$BIN$host_exe"
for t in ${targets[@]+"${targets[@]}"}; do
  build --target "$t"
  exe=""
  case "$t" in *-windows-*) exe=.exe ;; esac
  package "$t" "$target_dir/$t/release/$BIN$exe"
done

# --- manifest, checksums, signature ---------------------------------------------------
printf '%s\n' '{"version": 1, "metadata": {"protocol_versions": ["5.0"]}}' >"$dist/${prefix}_manifest.json"
sums="$dist/${prefix}_SHA256SUMS"
(
  cd "$dist"
  export LC_ALL=C
  for f in "${prefix}"_*.zip "${prefix}_manifest.json"; do
    printf '%s  %s\n' "$(sha256 "$f")" "$f"
  done
) >"$sums.tmp"
mv "$sums.tmp" "$sums"
echo "wrote $sums"

rm -f "$sums.sig"
if [ -n "${GPG_FINGERPRINT:-}" ]; then
  gpg --batch --yes --local-user "$GPG_FINGERPRINT" --detach-sign --output "$sums.sig" "$sums" ||
    die "gpg could not sign with $GPG_FINGERPRINT (a passphrase-protected key needs a running gpg-agent that has it)"
  echo "wrote $sums.sig"
else
  echo "GPG_FINGERPRINT is not set: $sums is not signed (the registry needs the signature)"
fi
