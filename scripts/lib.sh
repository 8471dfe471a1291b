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

PREPROCESSOR="$ROOT/preprocessor/target/release/mdbook-ormcompare"
