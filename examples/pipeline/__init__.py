"""A model-training pipeline that uses every construct of the workflow language.

The data is synthetic (generated from a seed inside a task, so it needs no network and no
large dependency), the model is a small logistic regression in pure Python, and every task
takes a few milliseconds: the point is the shape of the workflow, which is the shape of a
real one. Read ``workflows.py`` from the top: ``ml_pipeline`` prepares the data (a map over
shards, a branch on the data's quality), trains (a subworkflow), trains a baseline (a
launch plan run as a child execution), waits for a person to approve the model, and
publishes it; if anything fails, ``cleanup`` records an incident. The README's "Workflow
language" section walks through it.
"""
