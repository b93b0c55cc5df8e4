#!/usr/bin/env bash
# The quickstart: builds the provider and the emulator, starts the emulator on a free port,
# installs the provider in a temporary filesystem mirror, applies examples/quickstart, shows
# that a second plan is empty, destroys, and stops the emulator. Everything it writes lives
# in one temporary directory, removed at the end.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
step() { printf '\n==> %s\n' "$*"; }
fail() { printf '\nquickstart failed: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || fail "cargo is not on PATH (install Rust: https://rustup.rs)"
# ENTRA_TEST_TERRAFORM picks the Terraform, as for the tests: a command on PATH or a path
# (relative to the repository root), e.g. scripts/terraform-1.15; default `terraform`.
terraform="${ENTRA_TEST_TERRAFORM:-terraform}"
case "$terraform" in
  /*) ;;
  */*) terraform="$root/$terraform" ;;
esac
command -v "$terraform" >/dev/null ||
  fail "$terraform is not on PATH (Terraform >= 1.10 is needed; set ENTRA_TEST_TERRAFORM to pick one)"

work="$(mktemp -d "${TMPDIR:-/tmp}/entra-quickstart.XXXXXX")"
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step "Building terraform-provider-entra and entra-emulator (release; the first build takes a few minutes)"
# One package per build, the provider exactly as scripts/release.sh builds it: a build of
# both at once unifies their dependencies' features, and the release would be rebuilt.
# Cargo's progress goes to the terminal.
cargo build --release --locked --manifest-path "$root/Cargo.toml" \
  -p terraform-provider-entra --bin terraform-provider-entra
cargo build --release --locked --manifest-path "$root/Cargo.toml" \
  -p entra-emulator --bin entra-emulator
# Where cargo put them: target/ unless CARGO_TARGET_DIR or a cargo config says otherwise.
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
[ -n "$target_dir" ] || fail "cargo metadata did not report the target directory"
bin="$target_dir/release"
for b in terraform-provider-entra entra-emulator; do
  [ -x "$bin/$b" ] || fail "$bin/$b is missing after the build"
done
version="$("$bin/terraform-provider-entra" --version | awk '{print $NF}')"
echo "provider version $version"

step "Starting entra-emulator on a free port"
"$bin/entra-emulator" --port 0 --seed "$here/seed.json" >"$work/emulator.out" 2>"$work/emulator.log" &
emulator_pid=$!
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^ENTRA_EMULATOR_URL=//p' "$work/emulator.out" | head -n 1)"
  [ -n "$url" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || fail "the emulator exited: $(cat "$work/emulator.log")"
  sleep 0.1
done
[ -n "$url" ] || fail "the emulator did not print its URL"
echo "emulator at $url"

step "Installing the provider in a temporary filesystem mirror"
case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) os="$(uname -s | tr 'A-Z' 'a-z')" ;; esac
case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
plugin_dir="$work/mirror/registry.terraform.io/entra-mi/entra/$version/${os}_${arch}"
mkdir -p "$plugin_dir"
cp "$bin/terraform-provider-entra" "$plugin_dir/terraform-provider-entra_v$version"
cat >"$work/terraform.rc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/entra-mi/*"]
  }
  direct {
    exclude = ["registry.terraform.io/entra-mi/*"]
  }
}
RC
export TF_CLI_CONFIG_FILE="$work/terraform.rc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
export TF_VAR_emulator_url="$url"
mkdir -p "$work/config"
cp "$here/main.tf" "$work/config/"
tf() { "$terraform" -chdir="$work/config" "$@"; }

step "terraform init ($("$terraform" version | head -n 1))"
tf init -input=false -no-color >"$work/init.log" || fail "init: $(cat "$work/init.log")"
echo "initialised (provider from the mirror)"

step "terraform apply: the workload app comes to trust the deploy identity"
tf apply -input=false -no-color -auto-approve

step "What the outputs show"
issuer="$(tf output -raw issuer)"
token_iss="$(tf output -json token_claims | tr -d ' \n' | sed -n 's/.*"iss":"\([^"]*\)".*/\1/p')"
cat <<TXT
issuer = $issuer
  The credential's issuer: who issues the managed identity's token for the exchange
  (api://AzureADTokenExchange). Those tokens are v2.0 tokens, so the trust names the v2.0
  issuer, https://login.microsoftonline.com/{tenant}/v2.0, exactly.
token_claims.iss = $token_iss
  The issuer of the token the exchange returned: the workload app's access token for
  Microsoft Graph, a v1.0 token (Graph asks for v1.0 tokens), hence https://sts.windows.net/
  {tenant}/. It says nothing about the trust: putting this form into a credential's issuer
  is the classic mistake (Entra then answers AADSTS700211).
token_claims.appid / azp = the workload app: the token is the app's, obtained with no secret.
token_claims.oid = the app's service principal (its object id in the tenant, not the app's);
  roles = the Graph permissions granted to it; tid = the tenant.
TXT

step "terraform plan: a second plan must be empty"
set +e
tf plan -input=false -no-color -detailed-exitcode >"$work/plan.log"
code=$?
set -e
[ "$code" -eq 0 ] || fail "the second plan is not empty (exit $code): $(cat "$work/plan.log")"
echo "no changes"

step "terraform destroy"
tf destroy -input=false -no-color -auto-approve

step "Stopping the emulator"
kill -TERM "$emulator_pid"
wait "$emulator_pid" 2>/dev/null || true
emulator_pid=""

step "Quickstart finished: trust created, token obtained through it, plan empty, all destroyed"
