# Streetshare, production image. Run it with compose.yaml (PostgreSQL, migrations, the web app
# and the background worker), or on its own with DATABASE_URL, SECRET_KEY and BASE_URL set.
FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never \
    PATH="/app/.venv/bin:$PATH" \
    STREETSHARE_MODE=production \
    STREETSHARE_DATA_DIR=/data

RUN pip install --no-cache-dir uv \
    && useradd --system --user-group --uid 10001 --home-dir /app --no-create-home streetshare \
    && mkdir /data && chown streetshare:streetshare /data

WORKDIR /app

# Dependencies first, so editing the app does not reinstall them. No lock file is committed,
# so uv resolves from pyproject.toml here.
COPY pyproject.toml README.md ./
RUN uv sync --no-dev --no-install-project

# The app itself. It stays an editable install: templates/ and migrations/ are found next
# to src/, not inside the installed package.
COPY . .
RUN uv sync --no-dev

USER streetshare
EXPOSE 8000
CMD ["streetshare", "serve", "--host", "0.0.0.0", "--port", "8000"]
