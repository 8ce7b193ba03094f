"""``netguard report``: one model of who may talk to whom, rendered as md, html, json or txt.

``build.build_report(analyzer)`` makes the model (``model.Report``) from the Analyzer's whole-matrix
and per-pair paths; each renderer reads only the model.
"""
