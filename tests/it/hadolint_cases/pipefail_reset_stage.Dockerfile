FROM debian:12 AS a
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
FROM debian:12
RUN a | b
