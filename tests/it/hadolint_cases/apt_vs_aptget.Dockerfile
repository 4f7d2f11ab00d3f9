FROM debian:12
RUN apt install -y curl
RUN apt-get install -y --no-install-recommends ./local.deb && rm -rf /var/lib/apt/lists/*
