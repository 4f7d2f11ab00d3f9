FROM debian:12 as Builder
FROM Builder
