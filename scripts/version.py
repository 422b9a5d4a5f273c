"""The package's version for hatchling, read from package.json: the version is written once, there."""

import json
from pathlib import Path

__version__ = json.loads((Path(__file__).resolve().parent.parent / "package.json").read_text(encoding="utf-8"))["version"]
