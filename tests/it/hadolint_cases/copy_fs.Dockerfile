FROM debian:12 AS a
FROM scratch
COPY --from=a / /
