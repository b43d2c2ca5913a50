"""Making an image: the request, its checks, the runner (prior, diffusion, decode), previews and events."""
