FROM debian:12
# hadolint shell=powershell
RUN Get-Thing | x
