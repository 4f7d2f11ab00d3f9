FROM debian:12
RUN apt-get update || true; apt-get install -y curl
RUN (cd /x && make)
RUN if true; then sudo x; fi
RUN VAR=1 apt-get install -y curl=1
RUN echo $(sudo ls)
