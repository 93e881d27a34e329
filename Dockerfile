# Production image: gunicorn with uvicorn workers (ASGI) serving Copro; the same image
# runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY copro ./copro
COPY residents ./residents
COPY backoffice ./backoffice
RUN pip install .
COPY . .
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input \
    && useradd --system --uid 1000 copro && mkdir -p /app/var/media \
    && chown -R copro /app/var
USER copro
EXPOSE 8000
# ASGI (uvicorn workers): pages, and the notifications' server-sent events stream.
CMD ["gunicorn", "copro.asgi:application", "--worker-class", "uvicorn_worker.UvicornWorker", \
     "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
