FROM debian:12
ENV D=/app
WORKDIR $D
COPY a b
