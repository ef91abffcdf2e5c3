"""Keep full postcodes out of the HTTP libraries' own log lines (pure).

httpx logs every request URL at INFO, and geopy logs its query URL at DEBUG; for the online
geocoders those URLs contain the user's postcode, which is personal data. The filter rewrites
such records to keep only the outward code ("N3 ***"), the most our own logs reveal.
"""

import logging
import re

# A postcode as it appears in a URL or message: "N3 1AA", "N3%201AA", "N3+1AA" or "N31AA".
_POSTCODE_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?)"
    r"(?:%20|\+|\s)*[0-9][A-Za-z]{2}(?![A-Za-z0-9])"
)
_LOGGERS = ("httpx", "geopy")


def redact_postcodes(text: str) -> str:
    """Replace the inward part of every postcode-looking string: "N3%201AA" -> "N3 ***"."""
    return _POSTCODE_IN_TEXT.sub(r"\1 ***", text)


class PostcodeRedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_postcodes(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install_postcode_redaction() -> None:
    """Attach the filter to the httpx and geopy loggers (once; safe to call repeatedly)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, PostcodeRedactingFilter) for f in logger.filters):
            logger.addFilter(PostcodeRedactingFilter())
