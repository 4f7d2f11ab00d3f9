FROM debian:12 AS a
WORKDIR /app
FROM a
COPY x y
FROM debian:12
COPY x y
