FROM debian:12
RUN ["apt-get", "install", "curl"]
RUN ["sudo", "x"]
