FROM debian:12 AS a
RUN apt-get update && apt-get install -y --no-install-recommends curl=1
FROM debian:12
RUN true
