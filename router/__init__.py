"""KuraDB router: the stateless front door (installs as kuradb.router).

``server`` runs the process, ``service`` handles the DynamoDB API, ``executor`` sends one node
request with retries, ``policy`` decides routing and retries, ``partition_map`` caches the map,
``coordinator_client`` keeps it fresh.
"""
