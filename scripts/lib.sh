# Shared set-up for the scripts in this folder: installs, on first use, exactly
# the tools the book needs, into the repository (.tools/, .venv/).
# Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MDBOOK_VERSION="0.5.4"
TOOLS="$ROOT/.tools"
VENV="$ROOT/.venv"
export PATH="$TOOLS/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_mdbook() {
  if [ "$("$TOOLS/bin/mdbook" --version 2>/dev/null)" != "mdbook v$MDBOOK_VERSION" ]; then
    say "installing mdbook $MDBOOK_VERSION into .tools/ (first run only)"
    cargo install mdbook --version "$MDBOOK_VERSION" --locked --root "$TOOLS" --quiet
  fi
}

# The Python environment with the pinned ORMs (and, with "dev", the test tools).
# Re-installed whenever a lock file changes.
ensure_python() {
  local want="snippets/requirements.lock"
  [ "${1:-}" = "dev" ] && want="$want tests/requirements-dev.lock"
  local stamp
  stamp="$(cat $want | sha256sum | cut -c1-16)"
  if [ ! -x "$VENV/bin/python" ]; then
    local py
    py="$(command -v python3)"
    "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
      echo "Python 3.11 or newer is needed (found $("$py" --version))" >&2; exit 1; }
    say "creating the Python environment in .venv/"
    "$py" -m venv "$VENV"
  fi
  if [ "$(cat "$VENV/.lock-stamp" 2>/dev/null)" != "$stamp" ]; then
    say "installing pinned Python packages"
    local args=()
    for f in $want; do args+=(-r "$f"); done
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${args[@]}"
    echo "$stamp" > "$VENV/.lock-stamp"
  fi
}

ensure_preprocessor() {
  say "building the preprocessor"
  cargo build --quiet --release --manifest-path preprocessor/Cargo.toml --bin mdbook-ormcompare
}

# The browser tests' npm packages (playwright-core, pinned in its lock file).
ensure_browser_tests() {
  local dir="$ROOT/tests/browser"
  if [ "$(cat "$dir/node_modules/.lock-stamp" 2>/dev/null)" != "$(sha256sum < "$dir/package-lock.json")" ]; then
    say "installing the browser tests' npm packages"
    npm ci --prefix "$dir" --no-audit --no-fund --silent
    sha256sum < "$dir/package-lock.json" > "$dir/node_modules/.lock-stamp"
  fi
}

# SQLite features the in-page runner does without (full-text search, R-trees,
# sessions, virtual tables for introspection...): the book's SQL uses none of
# them, and leaving them out keeps the download small.
export SQLITE_WASM_RS_FLAGS="-USQLITE_ENABLE_FTS5 -USQLITE_ENABLE_RTREE -USQLITE_ENABLE_SESSION \
  -USQLITE_ENABLE_PREUPDATE_HOOK -USQLITE_ENABLE_DBSTAT_VTAB -USQLITE_ENABLE_DBPAGE_VTAB \
  -USQLITE_ENABLE_BYTECODE_VTAB -USQLITE_ENABLE_STMTVTAB -USQLITE_ENABLE_COLUMN_METADATA \
  -USQLITE_ENABLE_UNLOCK_NOTIFY -USQLITE_ENABLE_API_ARMOR -DSQLITE_OMIT_UTF16 \
  -DSQLITE_OMIT_COMPLETE -DSQLITE_OMIT_GET_TABLE -DSQLITE_OMIT_TCL_VARIABLE \
  -DSQLITE_OMIT_INTROSPECTION_PRAGMAS"

# The in-page runner: demo-engine compiled to wasm32, with its wasm-bindgen glue,
# written to src/runner/ (mdBook copies it into the book). The wasm-bindgen CLI
# must be the exact version of the wasm-bindgen crate in Cargo.lock.
ensure_wasm() {
  local out="$ROOT/src/runner"
  local wbg_version
  wbg_version="$(grep -A1 '^name = "wasm-bindgen"$' preprocessor/Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')"
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$("$TOOLS/bin/wasm-bindgen" --version 2>/dev/null)" != "wasm-bindgen $wbg_version" ]; then
    say "installing wasm-bindgen-cli $wbg_version into .tools/ (first run only)"
    cargo install wasm-bindgen-cli --version "$wbg_version" --root "$TOOLS" --quiet
  fi
  say "building the in-page runner (wasm)"
  cargo build --quiet --manifest-path preprocessor/Cargo.toml --profile wasm \
    --target wasm32-unknown-unknown -p demo-engine-web
  local built="preprocessor/target/wasm32-unknown-unknown/wasm/demo_engine_web.wasm"
  if [ ! -f "$out/demo_engine_web_bg.wasm" ] || [ "$built" -nt "$out/demo_engine_web_bg.wasm" ]; then
    # No name section: readers never need wasm function names, and it is a
    # sixth of the download.
    "$TOOLS/bin/wasm-bindgen" --target no-modules --no-typescript --remove-name-section \
      --remove-producers-section --out-dir "$out" "$built"
  fi
}

PREPROCESSOR="$ROOT/preprocessor/target/release/mdbook-ormcompare"
