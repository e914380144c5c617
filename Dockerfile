# One image for every process of the app: web (gunicorn, the default command), the Celery
# worker and beat, and the one-off migration. See docker-compose.yml and README "Running with
# Docker".

# --- builder: the app's wheel and the wheels of its runtime dependencies (no dev extras) ---
FROM python:3.11-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY workflow_app ./workflow_app
COPY workers ./workers
COPY templates ./templates
COPY workflows ./workflows
RUN pip wheel --wheel-dir /wheels .

# --- runtime: the installed wheels only, run as an unprivileged user ---
FROM python:3.11-slim-bookworm AS runtime

# WORKFLOW_APP_INSTANCE_PATH: the instance folder (beat's schedule file); ATTACHMENTS_DIR: the
# evidence of progress reports (a volume: back it up with the database). MALLOC_MMAP_THRESHOLD_:
# glibc keeps its 128 KiB mmap threshold, so a freed large buffer (argon2's 19 MiB per login)
# goes back to the system instead of staying in every web worker (stack/topology.py).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    WORKFLOW_APP_PROFILE=production \
    TZ=UTC \
    WORKFLOW_APP_INSTANCE_PATH=/var/lib/workflow_app \
    ATTACHMENTS_DIR=/var/lib/workflow_app/attachments \
    MALLOC_MMAP_THRESHOLD_=131072

RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels workflow-app \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /var/lib/workflow_app \
        --shell /usr/sbin/nologin app \
    && mkdir -p /var/lib/workflow_app/attachments \
    && chown -R app:app /var/lib/workflow_app

WORKDIR /var/lib/workflow_app
USER app:app
VOLUME ["/var/lib/workflow_app/attachments"]
EXPOSE 8000

# For the web process (the default command); docker-compose.yml sets its own for the worker
# and turns it off for beat and the one-off services.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["gunicorn", "--bind=0.0.0.0:8000", "--workers=2", "--graceful-timeout=30", "--no-control-socket", "--preload", "workflow_app.wsgi:create_app()"]
