FROM debian:12
RUN apt update && apt install -y curl
RUN aptitude update && aptitude install -y curl
RUN apt update && apt install -y git && rm -rf /var/lib/apt/lists/*
RUN aptitude update && aptitude install -y git && rm -rf /var/lib/apt/lists/*
RUN --mount=type=cache,target=/var/lib/apt/lists apt update && apt install -y make
RUN apt-cache update
USER 1000
