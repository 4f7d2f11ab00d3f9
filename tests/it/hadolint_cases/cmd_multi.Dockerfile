FROM debian:12
CMD ["a"]
CMD ["b"]
ENTRYPOINT ["a"]
ENTRYPOINT ["b"]
FROM debian:12
CMD ["c"]
