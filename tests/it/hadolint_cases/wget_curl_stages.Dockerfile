FROM debian:12 AS a
RUN wget -q http://x
FROM debian:12
RUN curl http://y
