"""ai-netguard: generative-AI workloads on Kubernetes behind strict, provable network boundaries."""

import pulumi

from components.inventory import InventoryError
from components.program import run_program

try:
    run_program()
except InventoryError as err:
    # A clean error listing every problem, without a traceback; nothing has been created.
    raise pulumi.RunError(str(err)) from None
