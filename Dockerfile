# The production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MERGEPLAN_VAR_DIR=/app/var \
    STATICFILES_BACKEND=whitenoise.storage.CompressedManifestStaticFilesStorage
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . \
 && DJANGO_DEBUG=1 python manage.py collectstatic --noinput \
 && useradd --system --home /app mergeplan && chown -R mergeplan /app
USER mergeplan
EXPOSE 8000
# gunicorn.conf.py: bind, workers (WEB_CONCURRENCY), access log without query strings, no Server header.
# Health: GET /healthz (alive) and /readyz (database, broker); compose probes them with python's urllib.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "mergeplan.wsgi:application"]
