#!/bin/sh
# Installs O-Switcher and registers it with OpenCode, in one step.
#
#   ./install.sh                   register globally (every OpenCode session)
#   ./install.sh --project DIR     register for one project only
#
# The Python package goes into its own virtual environment (uv or pipx when present, else
# $XDG_DATA_HOME/o-switcher/venv); then `o-switcher install` writes the shim into OpenCode's
# plugin folder with the absolute command that starts this bridge.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data="${XDG_DATA_HOME:-$HOME/.local/share}/o-switcher"

if command -v uv >/dev/null 2>&1; then
    uv tool install --force --compile-bytecode "$here" >/dev/null
    cli=$(uv tool dir --bin)/o-switcher
elif command -v pipx >/dev/null 2>&1; then
    pipx install --force "$here" >/dev/null
    cli=$(pipx environment --value PIPX_BIN_DIR)/o-switcher
else
    python3 -m venv "$data/venv"
    "$data/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$here"
    cli="$data/venv/bin/o-switcher"
    mkdir -p "$HOME/.local/bin"
    ln -sf "$cli" "$HOME/.local/bin/o-switcher"
fi
echo "o-switcher installed: $cli"
exec "$cli" install "$@"
