# One image for the three services: they share one code base and one set of
# pinned dependencies, and the command picks the service (`serve region`,
# `migrate account`, …). One build, one scan, one thing to ship to a
# provincial network.
#
# Built from wheels only (make wheelhouse), so it builds with no network at
# all, as an air-gapped provincial network would:
#   docker build --build-arg PYTHON_IMAGE=python:3.11-slim-bookworm -t yibao-wallet .
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
COPY wheelhouse/ /wheels/
RUN python3 -m venv /opt/yibao \
 && /opt/yibao/bin/pip install --no-index --find-links /wheels --no-cache-dir yibao-wallet \
 && find /opt/yibao -name '__pycache__' -prune -exec rm -rf {} + \
 && /opt/yibao/bin/python -m compileall -q /opt/yibao/lib

FROM ${PYTHON_IMAGE}
RUN useradd --system --uid 10001 --home-dir /nonexistent --shell /usr/sbin/nologin yibao
COPY --from=build /opt/yibao /opt/yibao
ENV PATH=/opt/yibao/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    YIBAO_REGION_LISTEN=0.0.0.0:50051 \
    YIBAO_ACCOUNT_LISTEN=0.0.0.0:50052 \
    YIBAO_TRANSFER_LISTEN=0.0.0.0:50053
USER yibao
EXPOSE 50051 50052 50053 8443 9101 9102 9103
# The service named by YIBAO_SERVICE answers grpc.health.v1.
HEALTHCHECK --interval=5s --timeout=5s --start-period=10s --retries=5 CMD ["yibao", "health"]
ENTRYPOINT ["yibao"]
CMD ["serve"]
