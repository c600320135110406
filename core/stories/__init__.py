"""Stories: near-duplicate items across feeds grouped into one story (normalise.py, cluster.py, assign.py)."""
