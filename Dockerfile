# One image for every Graven process in docker-compose.yml: the control plane, the agents and
# the Ray head and workers. Ray workers import the data plane's worker module and the tasks'
# code bundles, so they need the same Python, Ray and Graven as the agent that submits to them.
FROM node:20-slim AS console
COPY console /console
WORKDIR /console
RUN npm ci --no-audit --no-fund && npx vite build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GRAVEN_HOME=/var/lib/graven \
    GRAVEN_CONSOLE_DIR=/opt/graven/console

COPY . /src
# A regular (non-editable) install: the wheel merges the four source folders into one package,
# so the sources are not needed afterwards.
# /var/lib/ray-auth: where compose mounts the Ray token's volume, which takes this folder's
# owner and mode when Docker first fills it.
RUN pip install /src \
    && rm -rf /src \
    && useradd --create-home --uid 1000 graven \
    && mkdir -p "$GRAVEN_HOME" /var/lib/ray-auth \
    && chown graven:graven "$GRAVEN_HOME" /var/lib/ray-auth \
    && chmod 0700 /var/lib/ray-auth

COPY --from=console /console/dist /opt/graven/console
USER graven
WORKDIR /home/graven
EXPOSE 8089 8080
ENTRYPOINT ["graven"]
CMD ["--help"]
