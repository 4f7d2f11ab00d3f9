FROM fedora:39
RUN dnf install httpd
RUN dnf install -y httpd-2.4 && dnf clean all
RUN microdnf install -y httpd-2.4
RUN dnf install -y httpd && dnf clean all
