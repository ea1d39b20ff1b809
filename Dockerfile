# candlecassette in a scratch image: the static binary and nothing else
# but a passwd entry for its non-root user and the CA bundle (record and
# proxy mode reach real exchanges over TLS; synth and replay never dial).
#
# Built by `make image`, which builds the binary first (CGO_ENABLED=0) and
# stages it with the files below in bin/image, the build context: no base
# image is pulled and no compiler runs inside docker, as release tools do.
FROM scratch

COPY etc/passwd etc/group /etc/
COPY etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --chown=65532:65532 cassettes/ /cassettes/
COPY candlecassette /candlecassette

USER 65532:65532
WORKDIR /cassettes
VOLUME /cassettes
EXPOSE 8080

# The binary checks itself (scratch has no curl): GET /__admin/health,
# which needs no admin token. CANDLECASSETTE_HEALTH_URL overrides the URL
# when the server listens elsewhere.
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 \
    CMD ["/candlecassette", "health"]

ENTRYPOINT ["/candlecassette"]
CMD ["synth", "binance_spot", "--listen", "0.0.0.0:8080"]
