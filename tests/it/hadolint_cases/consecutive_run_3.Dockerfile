FROM debian:12
RUN a
RUN b
RUN c
COPY x y
RUN d
