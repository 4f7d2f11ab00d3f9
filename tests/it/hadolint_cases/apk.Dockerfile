FROM alpine:3.19
RUN apk add curl
RUN apk add --no-cache curl=8.5.0-r0
RUN apk add --no-cache --virtual .deps curl=8.5.0-r0
RUN apk update && apk add curl=1 && rm -rf /var/cache/apk/*
