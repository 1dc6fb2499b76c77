# Build a static binary, then ship it alone on a distroless base as a non-root user.
# .git is not in the build context, so `linkedin-bot version` reports what
# these build arguments stamp:
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" \
#     --build-arg COMMIT="$(git rev-parse HEAD)" --build-arg DATE="$(date -u +%FT%TZ)" -t linkedin-bot .
# Plain `docker build` (BuildKit or the classic builder alike) works too.
FROM golang:1.26 AS build
ARG VERSION=""
ARG COMMIT=""
ARG DATE=""
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
    -ldflags="-s -w -X main.stampVersion=${VERSION} -X main.stampCommit=${COMMIT} -X main.stampDate=${DATE}" \
    -o /out/linkedin-bot ./cmd/linkedin-bot
# The folder's mode is set here: COPY --chmod needs BuildKit, and COPY
# keeps the mode it finds.
RUN mkdir -p /out/data && chmod 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/linkedin-bot /linkedin-bot
# The send log; mount a volume here.
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV DATA_DIR=/data
VOLUME ["/data"]
# The working folder is the volume too: a relative DATA_DIR (./data, as in
# .env.example) still lands on the volume, never in the container's layer,
# where a recreated container would lose the send log.
WORKDIR /data
# distroless's nonroot is uid 65532: a volume it cannot write is reported
# with that uid.
USER nonroot:nonroot
# docker stop waits 10 s by default: run with --stop-timeout longer than
# SHUTDOWN_TIMEOUT (30 s) so that sends in flight can finish.
STOPSIGNAL SIGTERM
# `linkedin-bot health` asks the running bot's /readyz at METRICS_ADDR (set
# it, e.g. METRICS_ADDR=:9090, for this check to mean anything): healthy
# while the bot holds a Slack connection and its send log answers. With
# METRICS_ADDR empty the bot serves no probe and health does nothing: it
# exits 0 ("nothing to check"), so the container is reported healthy.
# distroless has no shell or curl: the binary checks itself.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["/linkedin-bot", "health"]
ENTRYPOINT ["/linkedin-bot"]
