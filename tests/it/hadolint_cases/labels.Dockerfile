FROM debian:12
LABEL maintainer="me" org.opencontainers.image.url="https://x"
LABEL ""=x
LABEL empty=""
LABEL Bad_Key=1 com.docker.x=1 io.docker.y=2 org.dockerproject.z=3 a..b=1 -a=1
