"""Streetshare: neighbourhood sharing, scoped to the street."""

import os

os.environ.setdefault("PICCOLO_CONF", "streetshare.piccolo_conf")
