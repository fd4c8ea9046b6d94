"""The data plane: an agent that claims executions and walks them on Ray, and the worker side.

``Agent`` (agent.py) is the entry point; ``Executor`` (executor.py) walks one execution;
``execute_node`` (worker.py) is what runs inside a Ray task; ``ray_runtime.connect`` joins or
starts a Ray cluster.
"""
