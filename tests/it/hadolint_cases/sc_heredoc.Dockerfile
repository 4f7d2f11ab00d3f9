FROM alpine:3.19
RUN <<EOT
echo $y
EOT
