FROM debian:12
COPY a b /dest
COPY a b /dest/
COPY ["a", "b", "/dest"]
COPY a b $DEST
