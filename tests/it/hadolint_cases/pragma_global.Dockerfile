# hadolint global ignore=DL3006
FROM debian
FROM ubuntu
