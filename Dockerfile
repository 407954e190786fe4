# The hrform container image: the release binary on a minimal base, run as
# a non-root user. Build context: a directory holding the verified release
# binaries as ./amd64/hrform and ./arm64/hrform (the release workflow
# unpacks the Linux archives there after checking them against SHA256SUMS).
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t hrform CONTEXT
#   docker run --rm hrform --version
#
# distroless/cc: glibc and CA certificates; no shell, no package manager.
# Pin it by digest (`@sha256:…`) in your own builds.
FROM gcr.io/distroless/cc-debian12:nonroot
ARG TARGETARCH
COPY --chmod=0755 ${TARGETARCH}/hrform /usr/local/bin/hrform
USER nonroot:nonroot
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/hrform"]
