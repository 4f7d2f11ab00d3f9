FROM centos:7
RUN yum install httpd
RUN yum install -y httpd-2.4 && yum clean all
RUN yum install -y httpd && yum clean all
RUN yum -y install httpd-2.4
