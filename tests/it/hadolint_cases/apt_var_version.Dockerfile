FROM debian:12
ARG V=1
RUN apt-get install -y --no-install-recommends "curl=${V}" && rm -rf /var/lib/apt/lists/*
