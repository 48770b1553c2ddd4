"""An Authorizer for the server extension's authorization tests, loaded by a real jupyter_server
(``--ServerApp.authorizer_class=tests.authorizers.FileAuthorizer``): it allows the ``[action, resource]`` pairs a
JSON file lists (``"*"`` matches any), read at every question so a test changes the policy of a running server,
and appends each question to the file's ``.log`` beside it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from jupyter_server.auth.authorizer import Authorizer

POLICY = "JT_TEST_AUTHZ"  # the environment variable naming the policy file


class FileAuthorizer(Authorizer):
    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        path = Path(os.environ[POLICY])
        with open(f"{path}.log", "a") as log:
            log.write(json.dumps([action, resource]) + "\n")
        allowed = json.loads(path.read_text())
        return any(a in (action, "*") and r in (resource, "*") for a, r in allowed)
