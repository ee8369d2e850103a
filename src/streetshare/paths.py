"""Where the project's own files are, as absolute paths from the package location."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent
TEMPLATES_DIR = PROJECT_DIR / "templates"
MIGRATIONS_DIR = PROJECT_DIR / "migrations"
STATIC_DIR = PACKAGE_DIR / "web" / "static"
