"""Jupyter Server for the Galata tests: Galata's test set-up, but with Jupyter's token auth kept on."""

import os

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # noqa: F821
configure_jupyter_server(c)

c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ.get("ARIEL_UI_PORT", "8888"))
# Galata turns authentication off; Ariel's routes must be refused without it (tested), so it stays on.
c.IdentityProvider.token = os.environ.get("ARIEL_UI_TOKEN", "ariel-ui-tests")
c.ServerApp.disable_check_xsrf = False
