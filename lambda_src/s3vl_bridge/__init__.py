"""s3vl bridge: the Lambda between PostgreSQL (aws_lambda.invoke) and Amazon S3 Vectors.

Request flow: handler -> models (validate) -> operations (one function each) -> client
(the only module touching boto3) -> envelope.
"""

__version__ = "0.2.0"
