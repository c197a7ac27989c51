#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs what is missing
# (scripts/install-deps.sh), then lints, builds and tests the crate with and without FFmpeg.
set -euo pipefail
cd "$(dirname "$0")/.."
# A one-shot build: incremental caches would only take disk (gigabytes over the feature sets).
export CARGO_INCREMENTAL=0
scripts/install-deps.sh
echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test (default features: ffmpeg)"
# tests/monitor_signal.rs runs the monitor example as a process, tests/prometheus.rs the
# metrics_server example (scraped by a real Prometheus server), tests/fleet_nats.rs instances
# of the service example (on a real nats-server): build them first, and make the tests fail
# rather than skip if they are missing.
cargo build --example monitor --example metrics_server --example service --quiet
AVQC_REQUIRE_EXAMPLES=1 cargo test --all-targets
cargo test --doc
echo "== cargo test --features webhook (the webhook sink against a local listener)"
cargo clippy --features webhook --all-targets --quiet -- -D warnings
cargo test --features webhook --test webhook
cargo test --features webhook --doc sink::webhook
echo "== cargo test --no-default-features (pure Rust)"
# Every test binary links the whole crate: drop the default-feature ones before building them
# again without FFmpeg, so the two sets never sit on the disk together.
cargo clean -p avqc --quiet
cargo test --no-default-features
echo "== docs build without warnings"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet
# As on a host without FFmpeg: no broken links to the FFmpeg-only items.
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --no-default-features --quiet
echo "== the package carries its fixtures"
scripts/package-check.sh
echo "== fuzz targets build"
cargo build --manifest-path fuzz/Cargo.toml --quiet
if command -v cargo-fuzz > /dev/null; then
  # Each target coverage-guided for a fixed, short number of runs (.ci/run installs cargo-fuzz).
  FUZZ_CI=1 scripts/fuzz.sh
else
  echo "== fuzz: cargo-fuzz not installed, targets only built (cargo install cargo-fuzz --locked)"
fi
echo "== examples build"
cargo build --examples --quiet
