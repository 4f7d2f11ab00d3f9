FROM debian:12
COPY a dest
COPY a ./dest
WORKDIR /app
COPY a dest
