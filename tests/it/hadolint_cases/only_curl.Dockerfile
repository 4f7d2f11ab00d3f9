FROM debian:12
RUN curl -fsSL http://x -o y
RUN curl http://z
