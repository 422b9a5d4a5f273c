"""Hatchling build hook: puts Ariel's prebuilt JavaScript into the wheel, or fails saying how to build it.

Hatchling does not build JavaScript. `npm run build` makes the Node bundles and the
frontend build makes jupyterlab_ariel/labextension; both must come first. A wheel
without them would install without complaint and fail at run time, so a missing
part stops the build here. Editable installs use the checkout's files instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: Node files, kept in the checkout's layout: the bundles find package.json and schema/ relative to themselves.
NODE_FILES = (
    "package.json",
    "bin/ariel.mjs",
    "dist/server/cli/main.bundle.mjs",
    "dist/server/kernels/launch.bundle.mjs",
    "dist/server/http/main.bundle.mjs",
    "schema",
)
LABEXTENSION = "jupyterlab_ariel/labextension"
LABEXTENSIONS = "share/jupyter/labextensions/jupyterlab-ariel"


class PrebuiltJavaScript(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "prebuilt-javascript"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        root = Path(self.root)
        required = [*NODE_FILES, f"{LABEXTENSION}/package.json", "install.json"]
        missing = [path for path in required if not (root / path).exists()]
        if missing:
            raise RuntimeError(
                "jupyterlab-ariel: the prebuilt JavaScript is missing: "
                + ", ".join(missing)
                + ". Hatchling does not build it: run `npm ci && npm run build` (the Node bundles and the"
                " JupyterLab extension) in the checkout first, then build the wheel again."
            )
        for path in NODE_FILES:
            build_data["force_include"][str(root / path)] = f"jupyterlab_ariel/node/{path}"
        build_data["shared_data"][str(root / LABEXTENSION)] = LABEXTENSIONS
        build_data["shared_data"][str(root / "install.json")] = f"{LABEXTENSIONS}/install.json"
