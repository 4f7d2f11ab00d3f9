FROM debian:12
RUN wget -O - https://some.site | wc -l > /number
