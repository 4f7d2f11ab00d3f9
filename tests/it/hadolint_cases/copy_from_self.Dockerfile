FROM debian:12 AS a
COPY --from=a /x /y
