"""The web app on a Ray cluster (``interviewer serve --ray``); needs ``interviewer[cluster]``.

The engines are Ray Serve deployments (``deployments``) reached through proxies that implement
the engine protocols (``proxies``); the store has one owner actor (``store_owner``); each
interview runs in its own actor, spread over the nodes, with the web app relaying its socket
(``sessions``); ``runtime.Cluster`` puts them together. docs/scaling.md explains the design.
Nothing is imported here: importing the package must not need Ray.
"""
