FROM alpine:3.19
SHELL ["/bin/bash", "-c"]
RUN [[ -n "$A" ]]
ENV A=1
RUN [[ -n "$A" ]]
SHELL ["/bin/bash", "-c"]
RUN [[ -n "$A" ]]; echo "$A"
ARG C
RUN [[ -n "$C" ]]; echo $B
SHELL ["/bin/zsh", "-c"]
RUN echo $x
FROM alpine:3.19
RUN echo "$A" "$C"
