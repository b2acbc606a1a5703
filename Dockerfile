# syntax=docker/dockerfile:1
# okrgraph's image: `okrgraph serve`, configured by environment only (OKRGRAPH_*, HOST, PORT).
# Both stages share one base so that the venv's interpreter link resolves in the final image.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
WORKDIR /src
# Every package is the locked version, checked against its hashes (`make lock` writes them): the
# build tools into the builder's own Python, the service's dependencies into the venv.
COPY requirements/build.txt requirements/main.txt ./requirements/
RUN python -m pip install --require-hashes -r requirements/build.txt \
    && python -m venv /opt/okrgraph \
    && /opt/okrgraph/bin/pip install --require-hashes --no-deps -r requirements/main.txt
COPY pyproject.toml README.md ./
COPY service ./service
COPY schema ./schema
# A wheel rather than an editable install: the final image holds no source tree, only the venv.
# No build isolation: the wheel is built with the locked setuptools, not whatever is newest.
RUN python -m pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
    && /opt/okrgraph/bin/pip install --no-deps /wheels/okrgraph-*.whl \
    && /opt/okrgraph/bin/pip check

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 okrgraph \
    && useradd --system --uid 10001 --gid okrgraph --home-dir /var/lib/okrgraph \
        --no-create-home --shell /usr/sbin/nologin okrgraph \
    && install --directory --owner=10001 --group=10001 /var/lib/okrgraph
COPY --from=builder /opt/okrgraph /opt/okrgraph
# Without OKRGRAPH_MONGODB_URI the embedded store keeps its files under the data dir.
ENV PATH=/opt/okrgraph/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    OKRGRAPH_DATA_DIR=/var/lib/okrgraph/data
WORKDIR /var/lib/okrgraph
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
# The slim image has no curl; urllib raises (exit 1) on a refused connection or a non-2xx answer.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('OKRGRAPH_PORT') or os.environ.get('PORT', '8000'); urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2)"]
ENTRYPOINT ["okrgraph", "serve"]
