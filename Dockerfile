# Extra Portion, production by default: give it PORTION_SECRET_KEY. Start: docker/start.sh
# (`portion serve --migrate`, exec'd: PID 1, so `docker stop` reaches the server). A demo is an
# explicit opt-in: PORTION_ENV=development PORTION_DEMO=1. Notifications and the periodic jobs
# run as their own containers from this image (compose.yaml).
#
# BASE: the official image by default; `make docker-check` passes a local stand-in made from
# Debian packages (docker/base.sh). Where HTTPS goes through a proxy, pass its CA as a build
# secret (never kept in a layer): --secret id=ca,src=/etc/ssl/certs/ca-certificates.crt
ARG BASE=python:3.11-slim-bookworm

# ---- build: the virtual environment and the compiled app; nothing of it but /opt/venv and
# /srv/portion reaches the image.
FROM ${BASE} AS build
ENV UV_PYTHON_DOWNLOADS=never \
    UV_NO_CACHE=1 \
    UV_LINK_MODE=copy \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /srv/portion
SHELL ["/bin/sh", "-eu", "-c"]

# The build tools (uv; setuptools for the project's own build) and the dependencies, all
# hash-pinned; cached while only the code changes.
COPY docker/build-tools.lock docker/with-ca.sh ./docker/
COPY requirements.lock ./
RUN --mount=type=secret,id=ca,target=/run/secrets/ca \
    docker/with-ca.sh pip install --no-cache-dir --require-hashes -r docker/build-tools.lock \
    && uv venv --quiet /opt/venv \
    && docker/with-ca.sh uv pip sync --quiet --python /opt/venv/bin/python --require-hashes requirements.lock

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY frontend ./frontend
COPY docker/slim.py ./docker/
# The project itself (editable: the app finds alembic.ini, migrations/ and frontend/ beside it),
# then bytecode for what the service loads, and no test suites (docker/slim.py says what).
RUN --mount=type=secret,id=ca,target=/run/secrets/ca \
    docker/with-ca.sh uv pip install --quiet --python /opt/venv/bin/python --no-deps \
        --build-constraints docker/build-tools.lock -e . \
    && /opt/venv/bin/python docker/slim.py \
    && rm -rf docker requirements.lock ./*.egg-info

# ---- the image
FROM ${BASE}
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    PORTION_ENV=production \
    PORTION_DATABASE_URL=sqlite:////var/lib/portion/portion.db
WORKDIR /srv/portion

# /var/lib/portion holds the SQLite database and, as var/, development's generated secret.
RUN useradd --system --uid 10001 --home-dir /srv/portion --no-create-home portion \
    && mkdir -p /var/lib/portion \
    && chown 10001 /var/lib/portion \
    && chmod 700 /var/lib/portion \
    && ln -s /var/lib/portion /srv/portion/var
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/portion /srv/portion
COPY docker/start.sh /usr/local/bin/portion-start
COPY docker/jobs.sh /usr/local/bin/portion-jobs
VOLUME ["/var/lib/portion"]

USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
CMD ["portion-start"]
