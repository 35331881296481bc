"""The docker-host target's pure builders: container specs from the plan (containers.py)
and the NGINX edge container (nginx.py). components/docker_host.py registers them."""
