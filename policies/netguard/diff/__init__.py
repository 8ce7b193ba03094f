"""``netguard diff``: what changes between two manifest sets, per pair of endpoints, ranked by risk.

``compare.compare(old, new)`` compares the allowed port sets of every pair (from the report's
grouped connections), names the rules that cause each change (``cause.py``), ranks the risk
(``risk.py``); ``render.py`` writes md, json and txt.
"""
