# Build a static binary, then ship it alone on a distroless base as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/linkedin-bot ./cmd/linkedin-bot
RUN mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/linkedin-bot /linkedin-bot
# The send log; mount a volume here.
COPY --from=build --chown=nonroot:nonroot --chmod=0700 /out/data /data
ENV DATA_DIR=/data
VOLUME ["/data"]
USER nonroot:nonroot
ENTRYPOINT ["/linkedin-bot"]
