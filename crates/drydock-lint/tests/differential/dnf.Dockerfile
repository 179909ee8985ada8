FROM fedora:41
RUN dnf install httpd-2.4.62 && dnf clean all
RUN dnf install -y httpd dnf-plugins-core && dnf clean all
RUN dnf install -y nginx-1.26.2
RUN --mount=type=cache,target=/var/cache/libdnf5 dnf install -y jq-1.7.1
RUN dnf install -y @development-tools && dnf clean all
