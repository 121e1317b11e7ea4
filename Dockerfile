# The production image: the static (x86_64-unknown-linux-musl) `host` binary alone in an
# empty image. No base image is pulled, so the binary is built outside the image first:
#   cargo build --release --locked -p host --target x86_64-unknown-linux-musl
#   podman build --format docker -t edge-predictor:dev .     (or: scripts/build/image.sh)
# A binary built elsewhere: --build-arg HOST_BINARY=path/inside/the/context.
# (Where base images can be pulled, a multi-stage build would do the cargo step in a
# `FROM rust:1.95` stage and `COPY --from=build`; it cannot run here, so it is not used.)
FROM scratch

ARG HOST_BINARY=target/x86_64-unknown-linux-musl/release/host
ARG VERSION=0.1.0
ARG REVISION=unknown

LABEL org.opencontainers.image.title="edge-predictor" \
      org.opencontainers.image.description="Boston housing GradientBoostingRegressor served bit-exactly by a static Rust binary (POST /predict, KServe V2, /metrics)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://example.invalid/edge-predictor"

COPY --chmod=0555 ${HOST_BINARY} /host

# Non-root, numeric (no /etc/passwd in scratch), so runAsNonRoot can verify it.
USER 65532:65532
# HTTP (/predict, V2 REST, /metrics) and V2 over gRPC.
EXPOSE 8080 8081
# Listens on 0.0.0.0:8080 (or $PORT) and gRPC on 0.0.0.0:8081 (GRPC_LISTEN, `none` for no
# gRPC); JSON logs for the log collector.
ENV LOG_FORMAT=json

# The binary is its own probe: scratch has no shell and no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 \
    CMD ["/host", "healthcheck"]

ENTRYPOINT ["/host"]
CMD ["serve"]
