"""Hatchling build hook: puts Ariel's prebuilt JavaScript into the wheel, or fails saying how to build it.

Hatchling does not build JavaScript. `npm run build` makes the Node bundles and the
frontend build makes jupyterlab_ariel/labextension; both must come first. A wheel
without them would install without complaint and fail at run time, so a missing
part stops the build here. Editable installs use the checkout's files instead.

The bundles load a few packages from node_modules at run time (better-sqlite3, which is
native, and the Vertex AI client among them; dist/server/node-modules.json lists them).
The wheel carries those with their dependencies, copied from the checkout's node_modules
in its layout, so a wheel install needs no npm. The native module makes the wheel
specific to this platform and to the Node major version it was built for, which
dist/server/build-info.json records and the bundles check before they load it.
"""

from __future__ import annotations

import json
import re
import sysconfig
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

#: The Node.js the native module was compiled for, which the bundles check before loading it (scripts/bundle.mjs).
BUILD_INFO = "dist/server/build-info.json"
#: Node files, kept in the checkout's layout: the bundles find package.json and schema/ relative to themselves.
NODE_FILES = (
    "package.json",
    "bin/ariel.mjs",
    "dist/server/cli/main.bundle.mjs",
    "dist/server/kernels/launch.bundle.mjs",
    "dist/server/http/main.bundle.mjs",
    BUILD_INFO,
    "schema",
)
#: The packages the bundles load at run time, written by scripts/bundle.mjs.
RUNTIME_PACKAGES = "dist/server/node-modules.json"
#: Files Node never loads: sources and intermediates of native code, TypeScript, maps, docs.
_SKIPPED_SUFFIXES = (".ts", ".map", ".md", ".markdown", ".c", ".cc", ".cpp", ".h", ".hpp", ".gyp", ".gypi", ".o", ".a")
#: Folders of a native build that only the compiler used (the module is build/Release/*.node).
_SKIPPED_FOLDERS = {"node_modules", "obj", "obj.target", ".deps"}
LABEXTENSION = "jupyterlab_ariel/labextension"
LABEXTENSIONS = "share/jupyter/labextensions/jupyterlab-ariel"


class PrebuiltJavaScript(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "prebuilt-javascript"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        root = Path(self.root)
        if self.target_name == "sdist":
            # The run-time packages in the checkout's layout, so a wheel built from the sdist
            # (as `python -m build` does) finds them as it would in the checkout.
            if (root / RUNTIME_PACKAGES).exists():
                for file in runtime_files(root):
                    build_data["force_include"][str(file)] = file.relative_to(root).as_posix()
            return
        if self.target_name != "wheel" or version == "editable":
            return
        required = [*NODE_FILES, RUNTIME_PACKAGES, f"{LABEXTENSION}/package.json", "install.json"]
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
        files = runtime_files(root)
        check_native_modules(root, files)
        for file in files:
            build_data["force_include"][str(file)] = f"jupyterlab_ariel/node/{file.relative_to(root).as_posix()}"
        build_data["pure_python"] = False
        platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        build_data["tag"] = f"py3-none-{platform}"
        build_data["shared_data"][str(root / LABEXTENSION)] = LABEXTENSIONS
        build_data["shared_data"][str(root / "install.json")] = f"{LABEXTENSIONS}/install.json"


def _resolve(name: str, start: Path, root: Path) -> Path | None:
    """Where Node finds package ``name`` from folder ``start``: the nearest node_modules up to ``root``."""
    folder = start
    while True:
        candidate = folder / "node_modules" / name
        if (candidate / "package.json").is_file():
            return candidate
        if folder == root or folder.parent == folder:
            return None
        folder = folder.parent


def runtime_closure(root: Path, names: list[str]) -> list[Path]:
    """The package folders of ``names`` and of everything they depend on, as installed under ``root``."""
    found: dict[Path, None] = {}
    pending = [(name, root, False) for name in names]
    while pending:
        name, start, optional = pending.pop()
        package = _resolve(name, start, root)
        if package is None:
            if optional:
                continue
            raise RuntimeError(
                f"jupyterlab-ariel: the package {name} (needed at run time) is not in node_modules."
                " Run `npm ci` in the checkout, then build the wheel again."
            )
        if package in found:
            continue
        found[package] = None
        manifest = json.loads((package / "package.json").read_text(encoding="utf-8"))
        pending += [(dep, package, False) for dep in manifest.get("dependencies", {})]
        optional_deps = {**manifest.get("optionalDependencies", {}), **manifest.get("peerDependencies", {})}
        pending += [(dep, package, True) for dep in optional_deps]
    return list(found)


def runtime_files(root: Path) -> list[Path]:
    """The files of the packages the bundles load at run time, and of their dependencies."""
    names = json.loads((root / RUNTIME_PACKAGES).read_text(encoding="utf-8"))
    return [file for package in runtime_closure(root, names) for file in package_files(package)]


def check_native_modules(root: Path, files: list[Path]) -> None:
    """Fails when a native module the wheel would carry was not compiled for the Node.js the build recorded."""
    built = json.loads((root / BUILD_INFO).read_text(encoding="utf-8"))
    for file in files:
        if file.suffix != ".node":
            continue
        # A module of Node's own ABI exports node_register_module_v<NODE_MODULE_VERSION>;
        # Node-API modules (napi_register_module_v1) load in any Node.js and are not checked.
        found = re.search(rb"node_register_module_v(\d+)", file.read_bytes())
        if found and found.group(1).decode() != built["modules"]:
            raise RuntimeError(
                f"jupyterlab-ariel: {file.relative_to(root)} is compiled for NODE_MODULE_VERSION {found.group(1).decode()},"
                f" but {BUILD_INFO} records Node.js {built['node']} (NODE_MODULE_VERSION {built['modules']})."
                " Run `npm rebuild && npm run build` with the Node.js the wheel is for, then build the wheel again."
            )


def package_files(package: Path) -> list[Path]:
    """The files of one package that Node may load; its nested node_modules hold packages of their own.

    Of a node-gyp ``build/`` folder (beside a ``binding.gyp``) only the compiled modules: its Makefiles and
    dependency files name the folder the build ran in, and nothing loads them.
    """
    native_builds = [gyp.parent / "build" for gyp in package.rglob("binding.gyp")]
    return [
        file
        for file in package.rglob("*")
        if file.is_file()
        and not _SKIPPED_FOLDERS.intersection(file.relative_to(package).parts)
        and not file.name.endswith(_SKIPPED_SUFFIXES)
        and not (file.suffix != ".node" and any(file.is_relative_to(build) for build in native_builds))
    ]
