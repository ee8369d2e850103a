"""The one Piccolo app. Its tables are listed here; its migrations live in the top-level migrations/."""

from piccolo.conf.apps import AppConfig

from streetshare.paths import MIGRATIONS_DIR
from streetshare.tables import all_tables

APP_CONFIG = AppConfig(
    app_name="streetshare",
    migrations_folder_path=str(MIGRATIONS_DIR),
    table_classes=all_tables(),
    migration_dependencies=[],
    commands=[],
)
