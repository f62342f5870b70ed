"""ipam: the Amazon VPC CNI address model.

Pod addresses (:mod:`.addresses`), instance-type network limits and max pods
(:mod:`.limits`), ipamd's warm pools (:mod:`.warm`) and the subnet plan
(:mod:`.plan`).
"""
