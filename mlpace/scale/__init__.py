"""Scale-out SUTs: one LoadGen, one clock, a SUT that spans several processes or nodes.

``ray_sut`` runs a workload's model in Ray actors spread over a Ray cluster (the LoadGen
stays on the driver). LoadGen over the Network (the Query Dispatch Library) lives in
``mlpace.compat`` (``ConstructQDL``) and in the HTTP SUT (``mlpace.endpoints``).
"""
