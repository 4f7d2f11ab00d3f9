FROM debian:12 AS a
USER root
RUN apt-get update
FROM a AS b
RUN true
FROM b
RUN true
