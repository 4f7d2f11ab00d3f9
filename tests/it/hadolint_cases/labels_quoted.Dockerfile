FROM alpine:3.19
LABEL "registry_image"="x"
LABEL registry_image="x"
LABEL "Bla"="x" "a.b"=y
LABEL 'reg_img'=x
USER 1000
