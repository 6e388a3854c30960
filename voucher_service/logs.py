"""Logging for ``serve``: the service's access log (one line a request, from the gate, with
its request id, principal, route, status and latency) and application logs, as plain text or
as one JSON object a line for a log pipeline (``VOUCHER_LOG_FORMAT=json``).

The gate's access log replaces uvicorn's own (which knows neither the request id nor the
principal), so ``serve`` turns uvicorn's off.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal

# The fields the gate adds to each access-log record (``extra=``).
ACCESS_FIELDS = ("request_id", "method", "route", "status", "latency_ms", "principal")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the access
    fields when the record has them, and the traceback of an exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger message`` and, for the access log, its fields as key=value."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = [
            f"{name}={getattr(record, name)}" for name in ACCESS_FIELDS if hasattr(record, name)
        ]
        return f"{line} {' '.join(fields)}" if fields else line


def logging_config(log_format: Literal["text", "json"], level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn's ``log_config``: everything to stderr in
    the chosen format, uvicorn's access log off (the gate writes one)."""
    formatter = (
        "voucher_service.logs.JsonFormatter"
        if log_format == "json"
        else ("voucher_service.logs.TextFormatter")
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"service": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "service",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "": {"handlers": ["stderr"], "level": level},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
