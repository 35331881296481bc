"""The targets, peers: each builds the estate from the plan and the secrets and returns the
stack outputs (kubernetes.py, docker_host.py); __main__.py picks one by `target`."""
