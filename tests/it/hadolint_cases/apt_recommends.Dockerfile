FROM debian:12
RUN apt-get install -y curl=1 && rm -rf /var/lib/apt/lists/*
RUN apt-get install -y -o APT::Install-Recommends=false curl=1 && rm -rf /var/lib/apt/lists/*
