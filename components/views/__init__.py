"""Views of the planned estate for people: `diagram` draws who may talk to whom from the
plan and the NetworkPolicies the kube builders make of it. Nothing is imported here."""
