#!/usr/bin/env bash
# Makes sure the pinned toolchain (rust-toolchain.toml) has every target we build for;
# rustup skips what is already installed, so this is quick on a warm machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
rustup show active-toolchain >/dev/null 2>&1 || rustup toolchain install
rustup component add rustfmt clippy >/dev/null
rustup target add x86_64-unknown-linux-musl wasm32-wasip1 wasm32-unknown-unknown >/dev/null
rustc --version
