FROM debian:12
RUN apt-get install curl=1
RUN apt-get -qy install curl=1
RUN apt-get install --yes curl=1
RUN apt-get install -q -y curl=1
RUN apt-get --assume-yes install curl=1
RUN apt-get install -qq curl=1
