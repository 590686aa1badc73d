# Ferry's image for those who build with Docker (or Podman, Buildah, BuildKit):
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg VERSION=0.1.0 --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg DATE=$(git log -1 --format=%cI) -t <registry>/ferry:0.1.0 .
#
# The project itself builds its image with `make image` (hack/image), which needs no container
# engine and gives the same shape: a static binary at /ferry run as 65532:65532, no shell.
# No test builds this file (the project's machines run no container engine); hack/image's
# TestDockerfileMatchesTheImage checks that it agrees with the image `make image` builds.

ARG GO_VERSION=1.27.3

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X github.com/ferryhq/ferry/internal/version.version=${VERSION} -X github.com/ferryhq/ferry/internal/version.commit=${COMMIT} -X github.com/ferryhq/ferry/internal/version.date=${DATE}" \
      -o /out/ferry ./cmd/ferry

# A static base with a nonroot user and no shell; the binary also carries its own TLS roots.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
LABEL org.opencontainers.image.title="ferry" \
      org.opencontainers.image.description="Keeps Kubernetes Secrets in sync with external secret managers (external-secrets.io API)" \
      org.opencontainers.image.source="https://github.com/ferryhq/ferry" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${COMMIT}" \
      org.opencontainers.image.created="${DATE}" \
      org.opencontainers.image.licenses="NOASSERTION"
COPY --from=build /out/ferry /ferry
USER 65532:65532
ENTRYPOINT ["/ferry"]
