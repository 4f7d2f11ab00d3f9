FROM debian:12
COPY x.tar.gz /tmp/
RUN tar -xzf /tmp/x.tar.gz
