FROM debian:12
RUN wget http://x/y
RUN curl -o y http://x/y
