# Sourced by scripts that need the original stack: builds/reuses .cache/venv-reference (Python 3.7 + the
# original pins in tools/reference/requirements.txt, reinstalled only when they change) and sets REF_PY.
reference_venv() {
    local root py stamp_want stamp_file venv
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    # The physical path (.ci/run links .cache to a cache that outlives the clone).
    mkdir -p "$root/.cache"
    venv="$(cd "$root/.cache" && pwd -P)/venv-reference"
    py="${PYTHON37:-$HOME/.pyenv/versions/3.7.16/bin/python}"
    if ! [ -x "$py" ]; then
        py="$(command -v python3.7 || true)"
    fi
    if [ -z "$py" ]; then
        echo "need Python 3.7 (pyenv install 3.7.16, or set PYTHON37=...)" >&2
        return 1
    fi
    stamp_want="$( { cat "$root/tools/reference/requirements.txt"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
    stamp_file="$venv/.requirements.sha256"
    if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp_want" ]; then
        echo "building $venv with $py" >&2
        rm -rf "$venv"
        mkdir -p "$root/.cache"
        "$py" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all: \
            -r "$root/tools/reference/requirements.txt"
        echo "$stamp_want" > "$stamp_file"
    fi
    REF_PY="$venv/bin/python"
}
