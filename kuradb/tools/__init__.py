"""Operator and user tools behind the ``kuradb`` CLI: ``up`` (local cluster launcher),
``status``, the DynamoDB-shaped table/item commands and ``bench``. Each module has a
``main(argv) -> int``; :mod:`kuradb.cli` routes to them."""
