FROM alpine:3
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
RUN a | b
