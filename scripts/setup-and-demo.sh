#!/usr/bin/env bash
# Sets everything up on a fresh Debian machine with Swift, then plays `folio demo` on sample-repo/.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
pkg-config --exists libgit2 2>/dev/null || need+=(libgit2-dev)
pkg-config --exists sqlite3 2>/dev/null || need+=(libsqlite3-dev)
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v git >/dev/null || need+=(git)
command -v ssh-keygen >/dev/null && command -v ssh-agent >/dev/null || need+=(openssh-client)   # signed commits (SPEC §9)
command -v python3 >/dev/null || need+=(python3)                                                # the tests' forged histories
command -v curl >/dev/null || need+=(curl)                                                      # the HTTP API tests' client
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
swift build -c release --product folio
exec .build/release/folio demo --sample sample-repo "$@"
