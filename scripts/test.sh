#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs what is missing
# (scripts/install-deps.sh), then lints, builds and tests the crate with and without FFmpeg.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test (default features: ffmpeg)"
cargo test --all-targets
cargo test --doc
echo "== cargo test --no-default-features (pure Rust)"
cargo test --no-default-features
echo "== docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet
echo "== fuzz targets build"
cargo build --manifest-path fuzz/Cargo.toml --quiet
echo "== examples build"
cargo build --examples --quiet
