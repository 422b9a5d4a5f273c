"""The names the Python glue and Ariel's TypeScript both spell, spelled once here.

They equal the constants of ``server/names.ts``; ``server/names.test.ts`` checks that they do.
"""

#: The header every request to the companion server carries, with its per-start secret.
SECRET_HEADER = "X-Ariel-Secret"

#: The companion prints this and its socket's path on stdout once it listens.
COMPANION_READY = "ARIEL_COMPANION_LISTENING"

#: The kernel launcher's own stderr lines start so: what went wrong and what to do.
LAUNCHER_PREFIX = "[Ariel] "

#: The launcher's line once the kernel container runs (the image follows in parentheses).
KERNEL_STARTED = LAUNCHER_PREFIX + "Kernel container started"

#: The kernelspec names ``ariel kernels install`` writes, by accelerator.
KERNEL_NAMES = {"cpu": "ariel-cpu", "gpu": "ariel-gpu"}
