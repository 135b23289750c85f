"""Keep tokens out of the product's own logs (issue 13; docs/operations.md, "Tokens and logs").

The survey's one-time codes never appear in a path or query (they travel in POST
bodies). Two older designs still put a token in a path: the password-reset link
(Django's stateless token, ``/password-reset/<uid>/<token>/``, good once and for
``PASSWORD_RESET_TIMEOUT``) and invitation links (``/invitation/<token>/``), and
links mailed before the survey codes (``/survey/<token>/``). This filter, on the
console handler, replaces such a token in any log record (Django's request
warnings, runserver's access lines) by ``[…]``. The reverse proxy's access log is
configured the same way (docs/operations.md).
"""

import logging
import re

TOKEN_PATHS = re.compile(
    r"(/password-reset/[^/\s]+/|/invitation/|/survey/)(?!sent/|complete/|set-password/)[^/\s\"?#]+"
)


def redact(text: str) -> str:
    """``text`` with tokens in reset, invitation and old survey paths replaced by ``[…]``."""
    return TOKEN_PATHS.sub(r"\1[…]", text)


class RedactTokens(logging.Filter):
    """Rewrites each record's message so that no path token reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
