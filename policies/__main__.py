"""The ai-netguard CrossGuard policy pack: the rules are listed in rules/; this only starts the pack."""

from pulumi_policy import PolicyPack

from rules import POLICIES

PolicyPack(name="ai-netguard", policies=POLICIES)
