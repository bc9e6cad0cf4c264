"""s3vl bridge: the Lambda between PostgreSQL (aws_lambda.invoke) and Amazon S3 Vectors.

Request flow: handler -> registry (which operation) -> models (validate) -> operations (one
function each) -> client (the only module touching boto3) -> budget (fits in 6 MB) ->
envelope.
"""

__version__ = "0.2.0"


def reset_container() -> None:
    """Forget what this container built and learnt (settings and allowlist read from the
    environment, the S3 Vectors and Bedrock Runtime clients, index descriptions), so the next
    request starts as a new container would: for tests and local hosts that change the
    environment in between."""
    from . import bedrock, client, index_info, settings

    settings.settings.cache_clear()
    client.reset()
    bedrock.reset()
    index_info.reset()
