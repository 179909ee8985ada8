FROM debian:bookworm
maintainer Jane Doe <jane@example.test>
CMD ["true"]
