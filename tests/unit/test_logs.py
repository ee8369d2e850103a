"""Log lines: JSON for production and anything that is not a terminal, short human lines on one."""

from __future__ import annotations

import io
import json
import logging
import os
import pty

import pytest

from streetshare.web.logs import HumanFormatter, JsonFormatter, configure_logging


@pytest.fixture
def root_logger():
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    yield root
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


@pytest.fixture
def terminal():
    """A stream that is a terminal (one end of a pseudo-terminal)."""
    parent, child = pty.openpty()
    with open(child, "w", closefd=True) as stream:
        yield stream
    os.close(parent)


def record(message: str, level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("streetshare.jobs.runner", level, __file__, 1, message, (), None)
    made.__dict__.update(extra)
    return made


def test_a_human_line_is_time_level_message_and_extras_on_one_line():
    line = HumanFormatter().format(record("job done", job="notify", ms=12.5))

    assert line.count("\n") == 0
    assert line.endswith("INFO     job done  job=notify ms=12.5")
    assert line[:8].replace(":", "").isdigit()  # HH:MM:SS
    assert "{" not in line


def test_a_json_line_carries_the_same_record_as_fields():
    entry = json.loads(JsonFormatter().format(record("job done", job="notify")))

    assert entry["message"] == "job done"
    assert entry["level"] == "info"
    assert entry["job"] == "notify"


def test_logs_to_something_that_is_not_a_terminal_are_json(root_logger):
    configure_logging("INFO", stream=io.StringIO(), quiet_on_terminal=True)

    assert [type(h.formatter) for h in root_logger.handlers] == [JsonFormatter]
    assert root_logger.level == logging.INFO


def test_logs_to_a_terminal_are_human_lines(root_logger, terminal):
    configure_logging("INFO", stream=terminal)

    assert [type(h.formatter) for h in root_logger.handlers] == [HumanFormatter]
    assert root_logger.level == logging.INFO


def test_the_demo_on_a_terminal_shows_warnings_not_every_info_line(root_logger, terminal):
    configure_logging("INFO", stream=terminal, quiet_on_terminal=True)

    assert root_logger.level == logging.WARNING


def test_the_demo_on_a_terminal_still_shows_everything_at_log_level_debug(root_logger, terminal):
    configure_logging("DEBUG", stream=terminal, quiet_on_terminal=True)

    assert root_logger.level == logging.DEBUG
