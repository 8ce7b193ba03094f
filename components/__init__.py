"""Pulumi components that put generative-AI workloads behind strict, provable network boundaries."""
