"""Settings shared by every test folder; each folder's conftest.py holds its own fixtures."""

import os

# jsii (under aws-cdk-lib) prints a large end-of-life banner for Node 20 at import; it drowns
# the test output and says nothing about our code. The value lists the Node majors to silence.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
