from debian:12
run apt-get install curl
copy a b
