"""A test-only e-mail backend for worker subprocesses: each message becomes a file in ``FAULT_MAIL_DIR``
(the mail server has it). With ``FAULT_MAIL_HANG=1`` the send then hangs (after writing a ``hanging``
marker) as if the connection stalled before the server's answer came back: the test SIGKILLs the worker
there — the crash between send and mark."""
from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class EmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(os.environ["FAULT_MAIL_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            (folder / f"{uuid.uuid4().hex}.eml").write_bytes(message.message().as_bytes())
        if os.environ.get("FAULT_MAIL_HANG") == "1":
            (folder / "hanging").touch()
            time.sleep(600)
        return len(email_messages)
