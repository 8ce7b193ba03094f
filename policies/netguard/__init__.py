"""The netguard reachability engine: see README.md in this folder."""
