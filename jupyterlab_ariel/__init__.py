"""Ariel's Python side, installed into the Jupyter environment: glue only, the logic is in TypeScript.

- the kernel provisioner of the container kernels (``provisioner``);
- the Jupyter Server extension that runs the companion server and forwards
  ``{base_url}ariel/`` to it behind Jupyter's authentication (``extension``);
- the prebuilt JupyterLab extension (``labextension/``, shared data of the wheel);
- the ``ariel`` command (``cli``), which runs the bundled Node CLI.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

#: Written once, in package.json; the build takes it from there (scripts/version.py).
__version__ = version("jupyterlab-ariel")


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .extension import ArielExtension

    return [{"module": "jupyterlab_ariel", "app": ArielExtension}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-ariel"}]
