FROM debian:12
RUN set -o pipefail && a | b
RUN a || b
