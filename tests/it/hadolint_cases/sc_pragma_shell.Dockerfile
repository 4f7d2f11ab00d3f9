FROM alpine:3.19
# hadolint shell=powershell
RUN Get-Item x
# hadolint shell=bash
RUN [[ -n "$x" ]] && echo $y
# hadolint ignore=SC2086
RUN echo $z
