FROM registry.example.test/ubi9/ubi-minimal:9.5
RUN microdnf install shadow-utils-4.9 && microdnf clean all
RUN microdnf install -y tar && microdnf clean all
