FROM debian:12 AS scratch
FROM debian:12 AS context
