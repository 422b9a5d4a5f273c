"""Ariel's Python side, installed into the Jupyter environment.

For now it holds the kernel provisioner of the container kernels; the prebuilt
JupyterLab extension will ship in this package too.
"""

__version__ = "0.1.0"
