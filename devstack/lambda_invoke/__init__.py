"""The Lambda Invoke API on 127.0.0.1, hosting a real handler in-process.

`LocalLambda` (server.py) is the Python entry; `python -m devstack lambda` (cli.py) the command.
"""
