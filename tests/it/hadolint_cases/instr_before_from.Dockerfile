ENV X=1
FROM debian:12
