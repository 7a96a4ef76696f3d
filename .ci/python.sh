#!/usr/bin/env bash
# Run by .ci/run: the Python package and its Spark integration, on a fresh machine.
# Makes a virtual environment (Debian's own pip is externally managed), installs
# PySpark, pandas, pyarrow and pytest from PyPI, makes sure a Java runtime is there
# (Debian's openjdk-17-jre-headless), installs the package with `pip install ./python`
# as a user would, and runs its tests against the `siyu` binary of this checkout. The
# Spark tests say SKIPPED, with the reason, where no Java runtime can be had.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { echo "== $1"; STEP_START=$SECONDS; }
took() { echo "   ($((SECONDS - STEP_START)) s)"; }

sudo_if_needed=""
if [ "$(id -u)" != 0 ]; then sudo_if_needed="sudo"; fi
apt_install() {
  $sudo_if_needed apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq "$@" >/dev/null
}

step "python: a virtual environment with PySpark, pandas, pyarrow, maturin and pytest"
PYTHON="${PYTHON:-python3}"
VENV="target/python-venv"
if ! "$PYTHON" -m venv --help >/dev/null 2>&1; then
  apt_install python3-venv
fi
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "pyspark>=3.5" "pandas>=2.2,<3" "pyarrow>=14" pytest
took

step "java for Spark"
if ! command -v java >/dev/null 2>&1; then
  apt_install openjdk-17-jre-headless || echo "   no Java runtime could be installed; the Spark tests will say SKIPPED"
fi
if command -v java >/dev/null 2>&1; then java -version 2>&1 | head -1; fi
took

# CI builds the wheel unoptimised, in the target folder `cargo test` filled, so that
# the dependencies both use are compiled once (a release build here took 9 minutes on
# the shared machine); a user's `pip install ./python` builds it optimised.
export CARGO_TARGET_DIR="$PWD/target"
step "pip install ./python (builds the abi3 wheel with maturin, unoptimised)"
MATURIN_PEP517_ARGS="--profile dev" "$VENV/bin/python" -m pip install -q ./python
"$VENV/bin/python" -c "import siyu, siyu.spark; print('   siyu', siyu.Playbook.__module__)"
took

step "python: cargo fmt --check and clippy on the extension's crate"
(cd python && cargo fmt --check && cargo clippy --all-targets -- -D warnings)
took

step "python: pytest (the package, Arrow batches, a local Spark)"
SIYU_BIN="$PWD/target/debug/siyu" PYSPARK_PYTHON="$PWD/$VENV/bin/python" \
  "$VENV/bin/python" -m pytest -rs -q python/tests
took
