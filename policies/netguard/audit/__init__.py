"""``netguard audit``: observed Hubble flows against what the manifests allow.

``hubble.py`` reads flow records line by line; ``observed.py`` aggregates them by connection
(constant memory: one entry per distinct source, destination, port and protocol, never per record);
``endpoints.py`` maps the flows' pods to the manifests' endpoints; ``run.py`` classifies every
connection with the Analyzer; ``render.py`` writes md, json and the ``--suggest`` YAML.
"""
