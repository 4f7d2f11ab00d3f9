FROM debian:12
MAINTAINER me <me@x>
