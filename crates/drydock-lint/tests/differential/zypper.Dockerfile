FROM opensuse/leap:15.6
RUN zypper install curl=8.6.0 && zypper clean
RUN zypper --non-interactive install curl git=2.43 && zypper clean
RUN zypper -n in vim=9.1
RUN zypper -n dist-upgrade && zypper clean
RUN zypper -n dup
RUN zypper rm vim
RUN --mount=type=cache,target=/var/cache/zypp zypper -n in jq=1.7
