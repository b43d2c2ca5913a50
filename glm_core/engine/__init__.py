"""Where generations run: in this process, in a child process, or on a GLM-Image server."""
