FROM debian:12
# hadolint ignore=DL3003
# another
RUN cd /x
