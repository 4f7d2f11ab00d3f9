FROM debian:12
SHELL ["/bin/sh", "-c"]
RUN a | b
