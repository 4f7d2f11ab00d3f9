FROM opensuse/leap:15
RUN zypper install httpd
RUN zypper -n install httpd=2.4 && zypper clean
RUN zypper install -y httpd=2.4
RUN zypper dist-upgrade
RUN zypper dup -n
RUN zypper --non-interactive in httpd>=2 && zypper cc
