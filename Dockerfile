# The production image: gunicorn for the web, the same image for the Celery worker and beat.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir . \
 && DJANGO_DEBUG=1 python manage.py collectstatic --noinput \
 && useradd --system --home /app mergeplan && chown -R mergeplan /app
USER mergeplan
EXPOSE 8000
CMD ["gunicorn", "mergeplan.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "sync", "--access-logfile", "-"]
