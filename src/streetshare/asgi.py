"""The ASGI app for production servers (each worker process imports this): settings from the environment."""

from streetshare import db
from streetshare.app import create_app
from streetshare.settings import load
from streetshare.web.logs import configure_logging

settings = load()
configure_logging(settings.log_level)
if not settings.database_url:
    raise RuntimeError("DATABASE_URL is not set (the `streetshare serve` command sets it for its workers)")
db.configure(settings.database_url)
app = create_app(settings)
