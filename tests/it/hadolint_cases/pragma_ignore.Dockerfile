FROM debian
# hadolint ignore=DL3008,DL3015
RUN apt-get install -y curl
RUN apt-get install -y curl
