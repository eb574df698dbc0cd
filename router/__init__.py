"""KuraDB router: the stateless front door (installs as kuradb.router). Not built yet."""
