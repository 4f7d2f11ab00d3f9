FROM debian:12 AS build
RUN true
FROM debian:12
COPY --from=build /a /a
COPY --from=nope /a /a
COPY --from=0 /a /a
COPY --from=alpine:3 /a /a
