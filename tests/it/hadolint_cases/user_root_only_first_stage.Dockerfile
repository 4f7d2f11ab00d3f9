FROM debian:12 AS a
USER app
FROM a
RUN true
