FROM centos:7
RUN yum install httpd-2.4.6 && yum clean all
RUN yum install -y httpd mod_ssl-2.4.6-99.el7 && yum clean all
RUN yum install -y php-5.4.16
RUN yum -y update && yum clean all
RUN yum update && yum clean all
