#!/usr/bin/env bash
# Production entrypoint of the app image (scaffolded by `devctl init`):
# apply the database migrations, then serve the project with gunicorn.
#
# Settings (environment):
#   DJANGO_WSGI_MODULE  e.g. `mysite.wsgi` (default: the one */wsgi.py next to manage.py)
#   PORT                port to listen on (default 8000)
#   GUNICORN_WORKERS    worker processes (default 3)
# Development does not use this script: `devctl run-dev` runs the server from
# devctl.toml ([app] migrate, server) when AUTO_START_SERVER is on in .env.
set -euo pipefail

app_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$app_dir"

if [[ -z "${DJANGO_WSGI_MODULE:-}" ]]; then
    shopt -s nullglob
    candidates=(*/wsgi.py)
    shopt -u nullglob
    if (( ${#candidates[@]} != 1 )); then
        echo "run.sh: found ${#candidates[@]} */wsgi.py files in $app_dir; set DJANGO_WSGI_MODULE (e.g. mysite.wsgi)" >&2
        exit 2
    fi
    DJANGO_WSGI_MODULE="${candidates[0]%/wsgi.py}.wsgi"
fi

python manage.py migrate --noinput

exec gunicorn "$DJANGO_WSGI_MODULE" \
    --bind "0.0.0.0:${PORT:-8000}" \
    --workers "${GUNICORN_WORKERS:-3}" \
    --access-logfile - \
    --error-logfile -
