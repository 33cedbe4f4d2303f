#!/usr/bin/env bash
# ansible-test sanity on the collection wrkansible.wrk as users get it: built with
# `ansible-galaxy collection build`, installed from the tarball into a clean collections path,
# tested there (so the project's own tests/ are never taken for the collection's).
#
#   scripts/collection-sanity.sh [WORKDIR] [ansible-test sanity options...]
#
# WORKDIR (default build/collection-sanity) is emptied first. ansible-test makes a virtual
# environment per test (--venv) and bootstraps pip into each with a script it downloads from
# the internet unless its cache holds one. Offline, the cache (under a HOME of our own, never
# the user's) gets scripts/pip-bootstrap.py and the pip wheel it needs, fetched by the ordinary
# pip from the package index; the sanity tests' own requirements come from the index too.
# docs/collection.md lists the tests that run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${WRK_VENV_BIN:-$root/.venv/bin}"
work="${1:-$root/build/collection-sanity}"
shift || true
case "$work" in /*) ;; *) work="$PWD/$work" ;; esac

rm -rf "$work"
mkdir -p "$work/dist" "$work/collections" "$work/home"

(cd "$root" && "$bin/ansible-galaxy" collection build --force --output-path "$work/dist")
tarball="$(ls "$work"/dist/*.tar.gz)"
# Only the given path counts (not ~/.ansible/collections, not a copy anywhere else).
printf '[defaults]\n' > "$work/ansible.cfg"
(cd "$work" && ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$work/collections" \
  "$bin/ansible-galaxy" collection install --force -p "$work/collections" "$tarball")
installed="$work/collections/ansible_collections/wrkansible/wrk"
[ -f "$installed/MANIFEST.json" ] || { echo "not installed: $installed" >&2; exit 1; }

# The pip version ansible-test bootstraps, its bootstrap script and wheel in its cache.
pip_version="$("$bin/python" -c '
import types
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(types.SimpleNamespace(version="3.11"))["pip"])')"
cache="$work/home/.ansible/test/cache"
mkdir -p "$cache"
cp "$root/scripts/pip-bootstrap.py" "$cache/get_pip_${pip_version//./_}.py"
"$bin/pip" download --quiet --no-deps --only-binary=:all: -d "$cache" "pip==$pip_version"

cd "$installed"
# Every sanity test ansible-test runs for a collection by default, on Python 3.11 only.
HOME="$work/home" "$bin/ansible-test" sanity --venv --python 3.11 --color no "$@"
