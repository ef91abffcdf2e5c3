# Extra Portion, production by default: give it PORTION_SECRET_KEY. Start: docker/start.sh (migrate,
# then exec the server). A demo is an explicit opt-in: PORTION_ENV=development PORTION_DEMO=1.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_SYSTEM_CERTS=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PORTION_ENV=production \
    PORTION_DATABASE_URL=sqlite:////var/lib/portion/portion.db

WORKDIR /srv/portion

# Dependencies first (cached while only the code changes), pinned with hashes.
COPY requirements.lock ./
RUN pip install --no-cache-dir uv==0.13.9 \
    && uv venv /opt/venv \
    && uv pip sync --python /opt/venv/bin/python --require-hashes requirements.lock

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY frontend ./frontend
COPY docker/start.sh /usr/local/bin/portion-start
# /var/lib/portion holds the database and, as var/, a demo's generated secret: mount a volume there.
RUN uv pip install --python /opt/venv/bin/python --no-deps -e . \
    && useradd --system --uid 10001 --home-dir /srv/portion portion \
    && mkdir -p /var/lib/portion \
    && chown portion /var/lib/portion \
    && ln -s /var/lib/portion /srv/portion/var \
    && chmod 755 /usr/local/bin/portion-start

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["portion-start"]
