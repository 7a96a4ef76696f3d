"""siyu (私域): private-domain marketing playbooks, planned from Python.

A :class:`Playbook` is read, checked and compiled once, then plans members one at a
time (:meth:`Playbook.plan`, a dict in and a dict out, shaped like a line of
``siyu run``) or a whole Arrow record batch at a time (:meth:`Playbook.plan_arrow`,
the fast way: the batch is read where it lies, with no copy, and planned with the
interpreter released). :mod:`siyu.spark` plans a Spark DataFrame of members on the
executors.

>>> import siyu
>>> playbook = siyu.Playbook.from_source("shop.rules", '''
...     playbook "shop" { timezone "+08:00" }
...     member { id: string, orders: int }
...     stage buyer when orders >= 1
...     rule thanks { stage buyer  then tag "buyer" }
... ''')
>>> plan = playbook.plan({"id": "m1", "orders": 2}, "2026-11-25T09:00:00+08:00")
>>> plan["stage"], plan["actions"][0]["content"]
('buyer', 'buyer')
"""

from ._siyu import BatchError, Playbook, PlaybookError, SnapshotError

__all__ = ["BatchError", "Playbook", "PlaybookError", "SnapshotError"]
