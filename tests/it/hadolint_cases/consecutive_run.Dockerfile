FROM debian:12
RUN a
RUN b
RUN --mount=type=cache,target=/x c
RUN d
# comment
RUN e

RUN f
