FROM debian:12 AS build
RUN true
FROM build
FROM build AS again
