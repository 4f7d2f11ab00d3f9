FROM debian:12
RUN apt-get install -y -- curl && rm -rf /var/lib/apt/lists/*
RUN apt-get install -y --no-install-recommends -- curl=1 && rm -rf /var/lib/apt/lists/*
