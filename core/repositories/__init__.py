"""Data access, one module per aggregate; each holds every SQLAlchemy query and write for its tables, and the rest of
core calls them instead of building SQL:

- ``items``: feeds (and a crawl's write), articles (scoring, corrections, the page's filters, an alert scope's items),
  company mentions, watchlists
- ``alerts``: alert rules and alerts
- ``runs``: training runs, scoring runs, recommendation jobs (the shared run-row lifecycle queries)
- ``knowledge_bases``: FAQ knowledge bases, their versions and entries, logged questions and feedback
- ``users``: users, login sessions, the audit log
- ``recommend_data``: recommendation dataset versions and their evaluations
- ``models``: model version rows of the registry
- ``worker``: the worker's status row (its last cycle)
- ``owned``: the shared save/delete of rows an analyst owns by name (watchlists, alert rules)
- ``expired``: the shared deletion of the oldest rows a retention setting no longer keeps (questions, audit events)
"""
