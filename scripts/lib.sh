# Shared set-up for the scripts in this folder: installs, on first use, exactly
# the tools the book needs, into the repository (.tools/, .venvs/).
# Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

MDBOOK_VERSION="0.5.4"
TOOLS="$ROOT/.tools"
VENVS="$ROOT/.venvs"
export PATH="$TOOLS/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_mdbook() {
  if [ "$("$TOOLS/bin/mdbook" --version 2>/dev/null)" != "mdbook v$MDBOOK_VERSION" ]; then
    say "installing mdbook $MDBOOK_VERSION into .tools/ (first run only)"
    cargo install mdbook --version "$MDBOOK_VERSION" --locked --root "$TOOLS" --quiet
  fi
}

# The stacks of snippets/targets.toml, by name, in order (the first is the one the
# prose describes), and a stack's lock file.
stack_names() {
  awk '/^\[\[/ { in_stack = ($0 == "[[stack]]") }
       in_stack && /^name *=/ { sub(/^name *= *"/, ""); sub(/".*/, ""); print }' snippets/targets.toml
}
stack_lock() {
  awk -v want="$1" '/^\[\[/ { in_stack = ($0 == "[[stack]]"); name = "" }
       in_stack && /^name *=/ { name = $0; sub(/^name *= *"/, "", name); sub(/".*/, "", name) }
       in_stack && /^lock *=/ && name == want { sub(/^lock *= *"/, ""); sub(/".*/, ""); print "snippets/" $0 }' \
    snippets/targets.toml
}

# A Python 3.12 or newer (Django 6 needs it): on PATH, or one of pyenv's, even
# when pyenv has not selected it.
find_python() {
  local candidate
  for candidate in python3.12 python3.13 python3.14 python3 \
      "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
    candidate="$(command -v "$candidate" 2>/dev/null)" || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "Python 3.12 or newer is needed (Django 6 requires it); install it, or add one with pyenv" >&2
  exit 1
}

# The environment of the first stack, which also runs the tests.
VENV="$VENVS/$(stack_names | head -n 1)"

# One Python environment per stack (.venvs/<stack>) with its pinned libraries, and
# with "dev" the test tools. Re-installed whenever a lock file changes.
ensure_python() {
  local python="" stack env lock
  for stack in $(stack_names); do
    env="$VENVS/$stack"
    lock="$(stack_lock "$stack")"
    [ -f "$lock" ] || { echo "snippets/targets.toml: stack $stack: no lock file $lock" >&2; exit 1; }
    if [ ! -x "$env/bin/python" ]; then
      [ -n "$python" ] || python="$(find_python)"
      say "creating the Python environment of the $stack stack in .venvs/$stack"
      "$python" -m venv "$env"
    fi
    install_locked "$env" "$lock" ".lock-stamp" "the $stack stack's pinned Python packages"
    if [ "${1:-}" = "dev" ]; then
      install_locked "$env" tests/requirements-dev.lock ".dev-stamp" "the test tools into .venvs/$stack"
    fi
  done
}

# Installs a lock file into an environment unless it is installed already (its hash
# in the stamp file).
install_locked() {
  local env="$1" lock="$2" stamp_file="$1/$3" what="$4" stamp
  stamp="$(sha256sum < "$lock" | cut -c1-16)"
  if [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]; then
    say "installing $what"
    "$env/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock"
    echo "$stamp" > "$stamp_file"
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

# The page's PostgreSQL runner: PGlite (pinned in theme/pglite/package-lock.json)
# and a data folder holding the demo database, written to src/runner/pglite/
# (mdBook copies it into the book). Without Node.js the book still builds; a Run on
# PostgreSQL then says the runner is missing.
ensure_pglite() {
  local dir="$ROOT/theme/pglite" out="$ROOT/src/runner/pglite"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    say "Node.js is missing: the book will run statements in the page on SQLite only"
    return 0
  fi
  if [ "$(cat "$dir/node_modules/.lock-stamp" 2>/dev/null)" != "$(sha256sum < "$dir/package-lock.json")" ]; then
    say "installing PGlite for the page's PostgreSQL runner"
    npm ci --prefix "$dir" --no-audit --no-fund --silent
    sha256sum < "$dir/package-lock.json" > "$dir/node_modules/.lock-stamp"
  fi
  local inputs
  inputs="$(cat "$dir/package-lock.json" "$dir/make-data.mjs" "$ROOT"/snippets/{schema.postgresql,fixtures,sequences.postgresql}.sql | sha256sum)"
  if [ "$(cat "$out/.stamp" 2>/dev/null)" != "$inputs" ] || [ ! -f "$out/demo.tar.gz" ]; then
    say "preparing the demo database for PGlite"
    node "$dir/make-data.mjs" "$out" >/dev/null
    echo "$inputs" > "$out/.stamp"
  fi
}

PREPROCESSOR="$ROOT/preprocessor/target/release/mdbook-ormcompare"
