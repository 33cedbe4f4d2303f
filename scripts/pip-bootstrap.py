"""A local stand-in for ansible-test's pip bootstrap script (get-pip.py), which it downloads.

ansible-test bootstraps pip into each virtual environment it makes by running the script it
caches at ~/.ansible/test/cache/get_pip_<version>.py, downloaded from the internet when absent.
scripts/collection-sanity.sh copies this file there instead, with the pip wheel of that version
beside it (fetched by the ordinary pip from the package index). It puts the wheel on sys.path
and runs ``pip install`` with the arguments ansible-test passes (the pinned pip). ansible-test
runs it with a filtered environment, so nothing is passed through variables: the package index
and its certificate come from pip's own configuration files, which pip reads regardless.
"""

import glob
import os
import sys


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    # get_pip_24_2.py -> pip-24.2-*.whl
    version = os.path.splitext(os.path.basename(__file__))[0][len("get_pip_") :]
    wheels = glob.glob(os.path.join(here, f"pip-{version.replace('_', '.')}-*.whl"))
    if not wheels:
        sys.stderr.write(f"pip-bootstrap: no pip {version} wheel in {here}\n")
        return 1
    sys.path.insert(0, wheels[0])
    from pip._internal.cli.main import main as pip_main

    # get-pip.py's own flags: it skips setuptools and wheel when told to; pip does not know them
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    return pip_main(["install", "--upgrade", "--force-reinstall", *args])


if __name__ == "__main__":
    sys.exit(main())
