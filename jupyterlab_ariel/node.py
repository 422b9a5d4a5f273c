"""Where Node.js and Ariel's bundled Node programs are.

A wheel carries the bundles under ``jupyterlab_ariel/node/`` in the layout of the
repository (``package.json``, ``schema/``, ``bin/``, ``dist/server/``), because the
bundles find ``package.json`` and ``schema/`` relative to themselves. A development
install (``pip install -e .``) uses the checkout's own files, one folder up.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
#: The installed layout first, then the checkout of a development install.
_ROOTS = (_PACKAGE / "node", _PACKAGE.parent)

CLI = "bin/ariel.mjs"
COMPANION = "dist/server/http/main.bundle.mjs"
#: The build's record of the Node.js its native module was compiled for (scripts/bundle.mjs).
BUILD_INFO = "dist/server/build-info.json"


class NodeNotFound(Exception):
    """Node.js or a bundled Node program is missing; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def node_executable() -> str:
    """``ARIEL_NODE``, else ``node`` on PATH."""
    configured = os.environ.get("ARIEL_NODE")
    found = shutil.which(configured or "node")
    if not found:
        raise NodeNotFound(
            f"Node.js was not found ({'ARIEL_NODE=' + configured if configured else 'no node on PATH'}).",
            f"Install {needed_node()} and put it on PATH (or set ARIEL_NODE to its path), then restart Jupyter.",
        )
    return found


def needed_node() -> str:
    """The Node.js this installation needs: the major its native module was built for, as the build recorded."""
    for root in _ROOTS:
        try:
            built = json.loads((root / BUILD_INFO).read_text(encoding="utf-8"))["node"]
        except (OSError, ValueError, KeyError):
            continue
        return f"Node.js {built.lstrip('v').split('.')[0]}"
    return "Node.js 20 or later"


def bundled(relative: str) -> str:
    """The absolute path of one of Ariel's Node programs, e.g. ``COMPANION``."""
    for root in _ROOTS:
        candidate = root / relative
        if candidate.is_file() and (root / "package.json").is_file():
            return str(candidate)
    raise NodeNotFound(
        f"Ariel's {relative} is missing from {_PACKAGE}.",
        "Reinstall jupyterlab-ariel; in a checkout, run `npm run build` first.",
    )
