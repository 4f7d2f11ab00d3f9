FROM alpine:3.19
ONBUILD RUN echo $MISSING
RUN ["sh", "-c", "echo $x"]
RUN set -eux; \
	apk add --no-cache \
		$DEPS \
	; \
# a comment inside the continuation
	find -type f -name '*.a' -delete; \
	echo "done"
RUN echo "$HTTP_PROXY" "$no_proxy" $https_proxy
