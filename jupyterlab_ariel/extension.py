"""The Jupyter Server extension: starts the companion server and routes ``{base_url}ariel/`` to it."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp

from .companion import Companion
from .handlers import HANDLERS, SETTING
from .shutdown import guard_shutdown_all


class ArielExtension(ExtensionApp):  # type: ignore[misc]
    """An ExtensionApp rather than a bare module: only these get a stop hook when Jupyter exits."""

    name = "jupyterlab_ariel"

    companion: Companion | None = None

    def initialize_settings(self) -> None:
        # Jupyter's kernel manager writes connection files to the server's runtime folder.
        self.companion = Companion(self.serverapp.root_dir, self.log, runtime_dir=self.serverapp.runtime_dir)
        self.settings[SETTING] = self.companion
        # One SIGTERM must stop Jupyter also after a container kernel failed to start.
        guard_shutdown_all(self.serverapp.kernel_manager, self.log)

    def initialize_handlers(self) -> None:
        self.handlers.extend(HANDLERS)

    async def _start_jupyter_server_extension(self, serverapp: object) -> None:
        # Runs once the event loop does; requests that come earlier wait for the start.
        assert self.companion is not None
        self.companion.start()

    async def stop_extension(self) -> None:
        if self.companion is not None:
            await self.companion.stop()
