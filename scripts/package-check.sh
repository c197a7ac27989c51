#!/usr/bin/env bash
# Checks that the published crate carries what its tests, doctests, examples and README need.
#   scripts/package-check.sh          the file list (fast; scripts/test.sh runs this)
#   scripts/package-check.sh --build  also unpack the .crate and build and run its tests there
set -euo pipefail
cd "$(dirname "$0")/.."
list=$(cargo package --list --allow-dirty 2>/dev/null)
missing=0
# Every fixture the repository tracks, the shared fuzz checks, the examples and the README.
for f in $(git ls-files tests/data tests/fuzz_support examples README.md LICENSE); do
    grep -qxF "$f" <<<"$list" || { echo "package-check: $f is not in the package" >&2; missing=1; }
done
# Nothing of the package may point outside it.
if grep -rn --include=*.rs '#\[path = "\.\./\.\./\|#\[path = "\.\./fuzz' src tests examples benches; then
    echo "package-check: a #[path] leaves the package" >&2; missing=1
fi
[ "$missing" = 0 ] || exit 1
echo "package-check: $(wc -l <<<"$list") files, every fixture and example included"
if [ "${1:-}" = "--build" ]; then
    cargo package --allow-dirty --no-verify --quiet
    crate=$(ls -t target/package/avqc-*.crate | head -1)
    dir=$(mktemp -d)
    tar -xzf "$crate" -C "$dir"
    (cd "$dir"/avqc-* && CARGO_TARGET_DIR="$dir/target" cargo test --all-targets --quiet && CARGO_TARGET_DIR="$dir/target" cargo test --doc --quiet)
    rm -rf "$dir"
    echo "package-check: the unpacked crate builds and its tests pass"
fi
