"""One SIGTERM stops Jupyter Server, also after a kernel start failed.

On SIGTERM, Jupyter Server shuts its kernels down with ``shutdown_all`` and only then stops
its event loop. jupyter_client's ``MultiKernelManager`` shuts down every id in
``_pending_kernels`` too, but a start that failed stays there (``_add_kernel_when_ready``
logs the error and never forgets the id), and jupyter_server's ``shutdown_kernel`` refuses
an id it does not hold (``Kernel does not exist``). So ``shutdown_all`` can raise, which
aborts Jupyter's cleanup before it stops the loop; it was seen to leave Jupyter running until
a second SIGTERM (not on every try). A container kernel start fails whenever its image does
not build or its companion is being restarted, so Ariel makes the kernel manager forget such
starts before it shuts the kernels down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

#: How long a shutdown waits for kernel starts still under way to end (they fail once the
#: companion has stopped, which Jupyter does first).
STARTS_WAIT = 10.0


async def settle_pending_starts(manager: Any, log: logging.Logger, wait: float = STARTS_WAIT) -> None:
    """Waits (up to ``wait`` seconds) for kernel starts under way, then forgets every start that
    left no kernel behind: ``shutdown_all`` then shuts down only kernels Jupyter holds."""
    pending = getattr(manager, "_pending_kernels", None)
    if not isinstance(pending, dict):
        return
    starting = [task for kernel_id, task in pending.items() if kernel_id not in manager and not task.done()]
    if starting:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*starting, return_exceptions=True), wait)
    for kernel_id in [kernel_id for kernel_id in pending if kernel_id not in manager]:
        log.info("Ariel: forgetting kernel %s, whose start did not complete, before the shutdown.", kernel_id)
        task = pending.pop(kernel_id)
        task.cancel()


def guard_shutdown_all(manager: Any, log: logging.Logger) -> None:
    """Makes ``manager.shutdown_all`` forget failed kernel starts before it shuts kernels down."""
    original = manager.shutdown_all

    async def shutdown_all(*args: Any, **kwargs: Any) -> None:
        await settle_pending_starts(manager, log)
        result = original(*args, **kwargs)
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            await result

    manager.shutdown_all = shutdown_all
