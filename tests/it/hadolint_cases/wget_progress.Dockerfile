FROM debian:12
RUN wget --progress=dot:giga http://x/y
RUN wget -q http://x/y
RUN wget -nv http://x
RUN wget --no-verbose http://x
RUN wget -O - http://x | tar x
