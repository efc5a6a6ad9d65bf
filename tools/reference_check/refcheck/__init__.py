"""The reference check tool's modules (see ../README.md)."""
