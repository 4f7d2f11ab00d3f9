FROM --platform=$TARGETPLATFORM debian:12
FROM --platform=${BUILDPLATFORM} debian:12 AS b
