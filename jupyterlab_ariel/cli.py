"""The ``ariel`` console script: runs the bundled Node CLI with the same arguments."""

from __future__ import annotations

import os
import sys

from .node import CLI, NodeNotFound, bundled, node_executable


def main() -> None:
    try:
        node, cli = node_executable(), bundled(CLI)
    except NodeNotFound as missing:
        sys.stderr.write(f"ariel: {missing.message}\nariel: {missing.hint}\n")
        sys.exit(1)
    if sys.prefix != sys.base_prefix:
        # Installed into a virtual environment: that is the Jupyter environment --sys-prefix
        # means, even when it is not activated.
        os.environ.setdefault("VIRTUAL_ENV", sys.prefix)
    os.execv(node, [node, cli, *sys.argv[1:]])
