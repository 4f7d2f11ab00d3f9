FROM alpine:3.19
RUN apk upgrade
RUN apk add --no-cache 'curl>8'
RUN apk add --no-cache curl~8
