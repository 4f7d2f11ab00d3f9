FROM debian:12 AS a
FROM debian:12 AS a
